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
