"""Evidence goes to S3-compatible storage when EVIDENCE_S3_BUCKET is set, private by default."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
from evidence.storage import evidence_storage
s = evidence_storage()
print(json.dumps({"backend": type(s).__module__ + "." + type(s).__name__,
                  "bucket": getattr(s, "bucket_name", None), "acl": getattr(s, "default_acl", None),
                  "signed": getattr(s, "querystring_auth", None),
                  "overwrite": getattr(s, "file_overwrite", None)}))
"""


def _probe(**env: str) -> dict:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("EVIDENCE_S3", "DATABASE_URL"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.local", **env)
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, check=False
    )
    assert out.returncode == 0, out.stderr.decode()
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def test_local_disk_by_default_and_private_s3_when_configured() -> None:
    assert _probe()["backend"] == "django.core.files.storage.filesystem.FileSystemStorage"
    s3 = _probe(EVIDENCE_S3_BUCKET="evidence", EVIDENCE_S3_ENDPOINT_URL="http://minio:9000")
    assert s3 == {
        "backend": "storages.backends.s3.S3Storage",
        "bucket": "evidence",
        "acl": "private",
        "signed": True,
        "overwrite": False,
    }
