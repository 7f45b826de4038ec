"""Settings shared by every environment.

Everything that differs between machines comes from the environment (12-factor, read
through django-environ). The defaults here are safe for development only; production.py
refuses to start without the secrets it needs.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, env

# Only local.py falls back on this, and only with DEBUG on.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-do-not-use-in-production"  # noqa: S105


def require_secret_key(debug: bool, secret_key: str) -> None:
    """Stop start-up when DEBUG is off and the key is missing or the development one.

    Called by each settings module after it has set DEBUG and SECRET_KEY, and again from
    ``ComplaintsConfig.ready`` for any other settings module (OWASP ASVS 5.0 V13.3.1:
    no default secrets in deployed code).
    """
    if not debug and (not secret_key or secret_key.startswith("django-insecure")):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )


VAR_DIR = BASE_DIR / "var"

# --- core -------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "axes",
    "csp",
    # The project's apps, from the core up (see README, "The house").
    "complaints",
    "evidence",
    "escalation",
    "notifications",
    "casework",
    "portal",
    "api",
    "staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that cannot reach the database answers 503 with Retry-After, not 500.
    "config.availability.DatabaseUnavailableMiddleware",
    # Last: it turns a sign-in that django-axes refused into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------
# SQLite by default so that a fresh machine needs nothing running; DATABASE_URL points at
# PostgreSQL in CI and production. WAL and IMMEDIATE transactions let the web server and
# the Celery worker share the SQLite file without "database is locked" errors.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Degrades to misses when Redis is down (config/cache.py); short timeouts so a dead
    # server does not hold requests.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- i18n -------------------------------------------------------------------------------
# Complainants are mainland Chinese consumers: Chinese by default, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence never lives under a public URL: MEDIA_URL is deliberately unset and files are
# served only through views that check access.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(MEDIA_ROOT) / "evidence")},
    },
}

# Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) are spooled to a file that has no name
# (O_TMPFILE on Linux), so a worker killed mid-upload leaves nothing behind (CWE-459).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "evidence.uploadhandler.UnnamedTemporaryFileUploadHandler",
]

# --- email ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG.get("EMAIL_BACKEND") == "django.core.mail.backends.smtp.EmailBackend":
    # The same SMTP backend, keeping the server's acceptance for the outbox to record.
    EMAIL_CONFIG["EMAIL_BACKEND"] = "notifications.smtp.EmailBackend"
vars().update(EMAIL_CONFIG)
# A hung SMTP server must not hold a claimed email past its lease (OUTBOX_LEASE_SECONDS),
# or a second worker takes it over and sends it too.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=60)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="卡盟投诉助手 <noreply@localhost>")

# --- Celery -----------------------------------------------------------------------------
# The default broker is kombu's filesystem transport: a real broker (a worker and beat
# really run and really escalate) that needs no server on a developer's machine.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # With acks_late a task is acknowledged when it ends; Redis gives a task that a worker
    # took and never acknowledged (its main process or its machine died) to another worker
    # after this many seconds. It must outlast the longest task and the longest countdown
    # (the outbox drain retries back off to 600 s), or such a task would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# REST_FRAMEWORK and SPECTACULAR_SETTINGS: config/settings/api.py.

# --- logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- the portal's own settings -----------------------------------------------------------
# Prefix of case references, e.g. KM-2026-000123.
CASE_REFERENCE_PREFIX = env("CASE_REFERENCE_PREFIX", default="KM")

# --- each part's own settings (one file per part, owned with it) --------------------------
from config.settings.api import *  # noqa: E402
from config.settings.casework import *  # noqa: E402
from config.settings.escalation import *  # noqa: E402
from config.settings.evidence import *  # noqa: E402
from config.settings.portal import *  # noqa: E402
from config.settings.security import *  # noqa: E402

STORAGES["evidence"] = EVIDENCE_STORAGE or STORAGES["evidence"]  # S3 when configured
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES  # one setting for every client-address counter
