"""The complainants' portal: accounts, sign-up, the filing wizard.

Star-imported at the end of base.py; read values through ``env``.
Accounts are django-allauth's (https://docs.allauth.org/en/latest/account/configuration.html):
sign-in by email, the address confirmed before the first sign-in, failed logins throttled.
"""

from urllib.parse import urlsplit

from config.env import env

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:case_list"
# django-axes first: it refuses a locked-out client before any password is checked, for
# the portal, the admin and the API token endpoint alike (config/settings/security.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

ACCOUNT_ADAPTER = "portal.accounts.PortalAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[卡盟投诉助手] "
# Links in account emails use the scheme of the site's public address.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(env("SITE_URL", default="http://127.0.0.1:8000")).scheme
# Failed sign-ins: at most 10 a minute from one address and 5 per account in 5 minutes.
# Sign-ins of any outcome: allauth's own 30 a minute from one address (a load test from
# one machine, or many people behind one proxy without NUM_PROXIES, needs more).
ACCOUNT_RATE_LIMITS = {
    "login": env("PORTAL_LOGIN_RATE", default="30/m/ip"),
    "login_failed": env("PORTAL_LOGIN_FAILED_RATE", default="10/m/ip,5/300s/key"),
}

# The filing wizard: the files one upload may carry (the evidence service checks each file).
PORTAL_UPLOAD_MAX_FILES = env.int("PORTAL_UPLOAD_MAX_FILES", default=10)
