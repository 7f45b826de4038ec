"""The REST API: authentication, throttling, pagination, schema, webhooks.

Star-imported at the end of base.py; read values through ``env``. REST_FRAMEWORK and
SPECTACULAR_SETTINGS live here only.
"""

from config.env import env

REST_FRAMEWORK = {
    # Token first: an unauthenticated call then gets 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=25),
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Per anonymous IP and per signed-in user; a login form gets its own, tighter scope.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
        "token": env("API_THROTTLE_TOKEN", default="10/min"),
        "filing": env("API_THROTTLE_FILING", default="30/day"),
    },
    # Clients are told apart by the address NUM_PROXIES hops from the right of
    # X-Forwarded-For; set in base.py from config/settings/security.py (0: REMOTE_ADDR).
    "NUM_PROXIES": 0,
    # A throttle whose cache is down lets the request through (config/cache.py).
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only; the upload views read multipart themselves. Anything else is 415
    # (RFC 9110 §15.5.16), and the schema offers no form encodings that cannot carry the
    # nested objects (an order inside a case) the JSON bodies have.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "卡盟投诉 API",
    "DESCRIPTION": """Complaints about 卡盟 orders and their escalation up the ladder.

* **Auth**: `POST /api/v1/auth/token/` with username and password returns `{"token": ...}`;
  send it as `Authorization: Token ...`. The portal's own pages use the session.
* **Errors** always look like `{"error": {"code", "message", "fields"}}`; messages follow
  `Accept-Language` (zh-hans by default, en).
* **Lists** are cursor-paginated (`next` / `previous` links, `page_size` up to 100).
* **Values** have the JSON type the schema gives them: a number where text is expected,
  an amount as a number instead of a decimal string (`"30.00"`) or an integer as text is
  a 400, as is a query parameter outside its values. Query parameters, headers and body
  fields the schema does not name are ignored (RFC 9110 §5.1 for headers).
* **State**: a well-formed request the case's current state does not allow (a step its
  tier does not have, a correction to the value it already holds) is a 409.
* **Retries**: send an `Idempotency-Key` header when filing a case or uploading evidence;
  a retry with the same key returns the first answer, the same key with another body
  gets 422.
* **Webhooks**: each delivery is a POST of one case event as JSON, with
  `X-Kamen-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + raw body>` under the
  endpoint's secret. Recompute it, compare in constant time, refuse timestamps older than
  5 minutes. Answer 2xx; anything else is retried with doubling delays.
""",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EvidenceKindEnum": "evidence.models.EvidenceKind",
        "DemandKindEnum": "complaints.choices.DemandKind",
        "OtherProceedingsEnum": "complaints.choices.OtherProceedings",
        "RiskSignalEnum": "complaints.choices.RiskSignal",
        "TierEnum": "complaints.tiers.Tier",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.serializers.path_ids_bounded",
    ],
}

# Outgoing webhooks: attempts per delivery, and the first retry delay (doubling after).
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# What POSTs a delivery: (url, body, headers, timeout) -> HTTP status code.
WEBHOOK_TRANSPORT = env.str(
    "WEBHOOK_TRANSPORT", default="notifications.webhooks.requests_transport"
)

# Idempotency keys are kept this long; a retry after that is a new request.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

CELERY_IMPORTS = ["api.tasks", "casework.tasks", "notifications.tasks"]
