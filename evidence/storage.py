"""Where evidence files live: private storage, never under a public URL."""

from django.core.files.storage import Storage, storages


def evidence_storage() -> Storage:
    """The ``evidence`` storage from settings.STORAGES (local disk or S3-compatible)."""
    return storages["evidence"]


def evidence_upload_to(item: "object", filename: str) -> str:
    """Files are named by bundle and content hash, never by what the uploader called them."""
    return f"bundles/{item.bundle_id}/{item.sha256}"  # type: ignore[attr-defined]
