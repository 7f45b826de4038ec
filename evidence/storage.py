"""Where evidence files live: private storage, never under a public URL."""

from typing import TYPE_CHECKING

from django.core.files.storage import Storage, storages

if TYPE_CHECKING:
    from .models import EvidenceItem


def evidence_storage() -> Storage:
    """The ``evidence`` storage from settings.STORAGES (local disk or S3-compatible)."""
    return storages["evidence"]


def evidence_upload_to(item: "EvidenceItem", filename: str) -> str:
    """Files are named by bundle and content hash, never by what the uploader called them."""
    return f"bundles/{item.bundle_id}/{item.sha256}"
