from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from evidence.services import bundle_create, evidence_add


def stored_files() -> set[Path]:
    root = Path(settings.STORAGES["evidence"]["OPTIONS"]["location"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def upload(name: str, content: bytes, content_type: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def bundle(complainant):  # type: ignore[no-untyped-def]
    return bundle_create(owner=complainant, now=timezone.now())


@pytest.fixture
def add(complainant):  # type: ignore[no-untyped-def]
    """Add a file to a bundle as the complainant would from the filing form."""

    def _add(bundle, name, content, *, kind="payment_voucher", content_type="", **kw):  # type: ignore[no-untyped-def]
        return evidence_add(
            bundle=bundle,
            actor=kw.pop("actor", complainant),
            file=upload(name, content, content_type),
            kind=kind,
            **kw,
        )

    return _add
