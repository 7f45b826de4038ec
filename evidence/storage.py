"""Where evidence files live: private storage, never under a public URL."""

from typing import Protocol

from django.core.files.storage import Storage, storages


class _NamedByHash(Protocol):
    """What naming a file needs of an evidence item (models import this module, not back)."""

    bundle_id: int
    sha256: str


def evidence_storage() -> Storage:
    """The ``evidence`` storage from settings.STORAGES (local disk or S3-compatible)."""
    return storages["evidence"]


def evidence_upload_to(item: _NamedByHash, filename: str) -> str:
    """Files are named by bundle and content hash, never by what the uploader called them."""
    return f"bundles/{item.bundle_id}/{item.sha256}"
