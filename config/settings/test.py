"""Tests: whatever DATABASE_URL says (PostgreSQL in CI), SQLite otherwise."""

import tempfile

from .base import *

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="kamen-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="kamen-test-static-")
STORAGES["evidence"]["OPTIONS"]["location"] = MEDIA_ROOT + "/evidence"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
LANGUAGE_CODE = "zh-hans"
CELERY_TASK_ALWAYS_EAGER = True  # the outbox kick delivers in-process, as a worker would
WEBHOOK_TRANSPORT = "tests.webhook_transport.accept"  # no test POSTs to the internet
