"""The evidence package: one ZIP a person can hand to any tier, streamed in constant memory.

Originals are added as lazy iterators over the storage file, stored uncompressed (photos
and videos do not shrink) with their sizes known in advance, so the whole ZIP's length is
known before the first byte is sent and nothing is buffered whatever the case's size.
"""

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone, translation
from zipstream import ZIP_STORED, ZipStream

from complaints.models import ComplaintCase

from .models import EvidenceItem
from .pdf import summary_pdf
from .receipt import receipt_build, receipt_json, receipt_text
from .selectors import case_items
from .storage import evidence_storage

CHUNK_BYTES = 1024 * 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _chunks(name: str) -> Iterator[bytes]:
    with evidence_storage().open(name, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _arcname(n: int, item: EvidenceItem) -> str:
    safe = _UNSAFE.sub("_", item.original_name).strip(". ") or "file"
    return f"evidence/{n:02d}-{item.kind}-{safe}"


def _json(data: Any) -> bytes:
    return (json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n").encode()


def package_manifest(case: ComplaintCase, *, now: datetime) -> dict[str, Any]:
    """What the package holds: each original's name in the ZIP, kind, size and SHA-256."""
    return {
        "case": case.reference,
        "subject": case.subject_line,
        "generated_at": now.isoformat(),
        "files": [
            {
                "file": _arcname(n, item),
                "original_name": item.original_name,
                "kind": item.kind,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
                "occurred_at": item.occurred_at,
                "uploaded_at": item.uploaded_at,
                "sealed_at": item.sealed_at,
                "description": item.description,
            }
            for n, item in enumerate(case_items(case), start=1)
        ],
    }


def _timeline(case: ComplaintCase) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.seq,
            "kind": e.kind,
            "label": str(e.get_kind_display()),
            "at": e.created_at,
            "actor": e.actor.get_username() if e.actor else None,
            "payload": e.payload,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in case.events.select_related("actor").order_by("seq")
    ]


def package_build(
    case: ComplaintCase,
    *,
    language: str = "zh-hans",
    document: Any = None,
    now: datetime | None = None,
) -> ZipStream:
    """The package as a ZipStream: iterate it for the bytes, ``len()`` it for the size.

    ``document`` is the current tier's filing document (anything with ``filename`` and
    ``body``), rendered by the caller: the evidence part knows no tier's documents.
    """
    now = now or timezone.now()
    with translation.override(language):
        manifest = package_manifest(case, now=now)
        timeline = _timeline(case)
        receipt = receipt_build(case, now=now)
        index = render_to_string(
            "evidence/package_index.html",
            {
                "case": case,
                "manifest": manifest,
                "timeline": timeline,
                "receipt": receipt,
                "document": document,
            },
        )
        texts: list[tuple[str, bytes]] = [
            ("index.html", index.encode()),
            ("manifest.json", _json(manifest)),
            ("timeline.json", _json(timeline)),
            ("receipt.json", receipt_json(receipt).encode()),
            ("receipt.txt", receipt_text(receipt).encode()),
            ("summary.pdf", summary_pdf(case, language=language)),
        ]
        if document is not None:
            texts.append((f"filing/{document.filename}", document.body.encode()))
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    for arcname, data in texts:
        stream.add(data, arcname)
    for entry, item in zip(manifest["files"], case_items(case), strict=True):
        stream.add(_chunks(item.stored_name), entry["file"], size=item.size)
    return stream


def package_stream(
    case: ComplaintCase, *, language: str = "zh-hans", document: Any = None
) -> Iterator[bytes]:
    """The package's bytes, produced as they are sent."""
    yield from package_build(case, language=language, document=document)
