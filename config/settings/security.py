"""Sign-in protection, password hashing, client addresses and security headers.

Star-imported at the end of base.py; read values through ``env``. production.py adds
HTTPS-only settings (HSTS, SSL redirect, secure cookies) on top.
"""

from datetime import timedelta

from csp.constants import NONCE, NONE, SELF

from config.env import env

# --- the client's address ----------------------------------------------------------------
# How many reverse proxies you run in front of Django (nginx: 1; a CDN plus nginx: 2). The
# client's address is then taken that many hops from the right of X-Forwarded-For, where
# the nearest trusted proxy wrote it; 0 (the default) uses REMOTE_ADDR and ignores the
# header entirely, since a client can send any X-Forwarded-For it likes. One setting for
# DRF throttles, allauth rate limits and django-axes lockouts (config/security.py).
NUM_PROXIES = env.int("NUM_PROXIES", default=env.int("API_NUM_PROXIES", default=0))
ALLAUTH_TRUSTED_PROXY_COUNT = NUM_PROXIES
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"

# --- passwords ---------------------------------------------------------------------------
# Argon2id first (OWASP Password Storage Cheat Sheet; RFC 9106); the others stay so that
# existing PBKDF2 hashes still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# --- sign-in lockout (django-axes) ---------------------------------------------------------
# Failed sign-ins on the portal (allauth), the admin and the API token endpoint count
# together, in the database (so a cache outage does not lift them), per client address and
# account: after AXES_FAILURE_LIMIT failures that pair is locked for AXES_COOLOFF_MINUTES
# (OWASP ASVS 5.0 V6.3.1). The account part is the account's username whether the form
# named it by username or by email (config.security.lockout_username), so an email cannot
# buy fresh guesses; a name with no account counts the same way, so a lockout says nothing
# about whether an account exists. Address and account together, not the account alone:
# locking an account on failures from anywhere would let anyone lock a complainant out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_USERNAME_CALLABLE = "config.security.lockout_username"
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "login", "email"]

# --- Content-Security-Policy (django-csp 4) ------------------------------------------------
# Everything is served from our own origin (Swagger UI from drf-spectacular-sidecar); inline
# <script>/<style> only with the per-request nonce (CSP Level 3, W3C). OWASP ASVS 5.0 V3.4.3.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- other headers -------------------------------------------------------------------------
# Browser features the portal never uses (W3C Permissions Policy): none may be used here.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
# Responses under these paths carry case data or evidence: Cache-Control: no-store.
NO_STORE_PATH_PREFIXES = ["/cases/", "/file/", "/evidence/", "/profile/", "/api/", "/admin/"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
