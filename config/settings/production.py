"""Production: every secret from the environment; refuses to start without them; HTTPS only."""

from .base import *

DEBUG = env.bool("DEBUG", default=False)
require_secret_key(DEBUG, SECRET_KEY)

# --- HTTPS ----------------------------------------------------------------------------------
# TLS ends at the reverse proxy, which must set X-Forwarded-Proto (and overwrite any value the
# client sent); Django then knows a request was HTTPS. Never set this without such a proxy:
# a client could claim HTTPS itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Plain-HTTP requests are redirected to HTTPS (the health check is exempt so a load balancer
# may probe over HTTP inside the network).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS (RFC 6797): browsers refuse plain HTTP to this host and its subdomains for a year,
# and the "preload" directive consents to the browsers' preload lists. Start lower (e.g.
# SECURE_HSTS_SECONDS=3600) on a new domain; SECURE_HSTS_PRELOAD=false while a subdomain
# still serves plain HTTP (its check warning is then silenced: a decision, not an oversight).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
