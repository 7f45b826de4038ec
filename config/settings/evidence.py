"""Uploads, evidence storage limits and the evidence package.

Star-imported at the end of base.py; read values through ``env``."""

from config.env import env

# --- upload limits ------------------------------------------------------------------------
# Per file and per case (the case's whole bundle); a refused upload stores nothing.
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=50 * 1024 * 1024)
EVIDENCE_MAX_CASE_BYTES = env.int("EVIDENCE_MAX_CASE_BYTES", default=500 * 1024 * 1024)
# Decompression-bomb guard: an image may not decode to more pixels than this. Phone cameras
# top out around 50 megapixels; a 30 kB PNG claiming 100000 x 100000 is an attack.
EVIDENCE_MAX_IMAGE_PIXELS = env.int("EVIDENCE_MAX_IMAGE_PIXELS", default=64_000_000)
EVIDENCE_THUMBNAIL_PIXELS = env.int("EVIDENCE_THUMBNAIL_PIXELS", default=320)
# JSON uploads (chat exports, HAR logs) are pre-scanned before parsing: deeper nesting, more
# tokens or longer keys than these are refused, which bounds the parser's memory (a HAR is
# about 8 levels deep; 64 is generous). OWASP ASVS 5.0 V5.2, CWE-400.
EVIDENCE_JSON_MAX_DEPTH = env.int("EVIDENCE_JSON_MAX_DEPTH", default=64)
EVIDENCE_JSON_MAX_TOKENS = env.int("EVIDENCE_JSON_MAX_TOKENS", default=10_000_000)
EVIDENCE_JSON_MAX_KEY_BYTES = env.int("EVIDENCE_JSON_MAX_KEY_BYTES", default=1024)
# Longest number or literal (true, false, null) outside strings.
EVIDENCE_JSON_MAX_SCALAR_BYTES = env.int("EVIDENCE_JSON_MAX_SCALAR_BYTES", default=256)
# PDFs: objects walked when looking for active content (JavaScript, launch actions, ...).
EVIDENCE_PDF_MAX_OBJECTS = env.int("EVIDENCE_PDF_MAX_OBJECTS", default=200_000)
# How many failed requests a HAR summary keeps (the count of all failures is kept anyway).
EVIDENCE_HAR_MAX_FAILURES = env.int("EVIDENCE_HAR_MAX_FAILURES", default=200)

# --- downloads ----------------------------------------------------------------------------
# Behind nginx, set this to an `internal` location aliased to the evidence directory (for
# example /protected-evidence/): downloads are then checked by Django and sent by nginx.
EVIDENCE_X_ACCEL_REDIRECT_PREFIX = env("EVIDENCE_X_ACCEL_REDIRECT_PREFIX", default="")

# --- storage ------------------------------------------------------------------------------
# Local disk by default (STORAGES["evidence"] in base.py). With EVIDENCE_S3_BUCKET set, the
# files go to S3-compatible object storage (MinIO in docker-compose.yml) so several web and
# worker machines share them. Objects stay private: no public ACL, signed URLs only.
EVIDENCE_S3_BUCKET = env("EVIDENCE_S3_BUCKET", default="")
EVIDENCE_STORAGE: dict | None = None
if EVIDENCE_S3_BUCKET:
    EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": EVIDENCE_S3_BUCKET,
            "endpoint_url": env("EVIDENCE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("EVIDENCE_S3_REGION", default="") or None,
            "access_key": env("EVIDENCE_S3_ACCESS_KEY", default="") or None,
            "secret_key": env("EVIDENCE_S3_SECRET_KEY", default="") or None,
            "location": env("EVIDENCE_S3_PREFIX", default="evidence"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": "path",
        },
    }
