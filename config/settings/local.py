"""Development: the embedded defaults (SQLite, filesystem broker, console email)."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)
# The development key only with DEBUG on: DEBUG=false without SECRET_KEY stops start-up.
SECRET_KEY = SECRET_KEY or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
require_secret_key(DEBUG, SECRET_KEY)
