"""Development: the embedded defaults (SQLite, filesystem broker, console email)."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "django-insecure-development-only-do-not-use-in-production"
