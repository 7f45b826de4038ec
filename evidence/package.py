"""The evidence package: one ZIP a person can hand to any tier, streamed in constant memory.

Originals are added as lazy iterators over the storage file, stored uncompressed (photos
and videos do not shrink) with their sizes known in advance, so the whole ZIP's length is
known before the first byte is sent and nothing is buffered whatever the case's size.
A collective case's combined package is its members' parts, each made as their own
package makes it, side by side in one ZIP.
"""

import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from zipstream import ZIP_STORED, ZipStream

from complaints.models import CollectiveCase, ComplaintCase
from complaints.redaction import Recipient, case_keep, redact, redact_data

from .models import EvidenceItem
from .pdf import summary_pdf
from .receipt import beijing, receipt_build, receipt_json, receipt_text
from .selectors import case_items
from .storage import evidence_storage

CHUNK_BYTES = 1024 * 1024
# Payload values that are no free text: hashes and references stay as they are.
_NOT_TEXT = frozenset({"sha256", "hash", "prev_hash", "reference"})
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _chunks(name: str) -> Iterator[bytes]:
    with evidence_storage().open(name, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _arcname(n: int, item: EvidenceItem, prefix: str = "") -> str:
    safe = _UNSAFE.sub("_", item.original_name).strip(". ") or "file"
    return f"{prefix}evidence/{n:02d}-{item.kind}-{safe}"


def _json(data: Any) -> bytes:
    return (json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n").encode()


def _redacted_copy(item: EvidenceItem, recipient: Recipient) -> bool:
    """Whether ``recipient`` gets the item's redacted copy instead of the original.

    Everyone but the court: a HAR's copy has no cookies, tokens or card keys, an image's
    no EXIF/GPS (个人信息保护法 art. 28: location is sensitive personal information); the
    court gets originals (民事诉讼法 art. 66).
    """
    return recipient is not Recipient.COURT and bool(item.redacted_file)


def _entry(
    n: int, item: EvidenceItem, recipient: Recipient, keep: list[str], prefix: str = ""
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "file": _arcname(n, item, prefix),
        "original_name": redact(item.original_name, recipient=recipient, keep=keep),
        "kind": item.kind,
        "content_type": item.content_type,
        "size": item.size,
        "sha256": item.sha256,
        "occurred_at": item.occurred_at,
        "uploaded_at": item.uploaded_at,
        "sealed_at": item.sealed_at,
        "description": redact(item.description, recipient=recipient, keep=keep),
        "copy": "original",
    }
    if _redacted_copy(item, recipient):
        copy = (item.analysis or {}).get("redacted_copy") or {}
        entry.update(
            file=entry["file"] + ".redacted",
            copy="redacted",
            copy_size=copy.get("size") or item.redacted_file.size,
            copy_sha256=copy.get("sha256"),
        )
    return entry


def package_manifest(
    case: ComplaintCase,
    *,
    now: datetime,
    recipient: Recipient | str = Recipient.COURT,
    prefix: str = "",
) -> dict[str, Any]:
    """What the package holds and for whom: each file's name in the ZIP (under ``prefix``:
    a member's folder in a collective package), kind, size and the original's SHA-256 (a
    redacted copy's own size and hash beside it)."""
    recipient = Recipient(recipient)
    keep = case_keep(case)
    return {
        "case": case.reference,
        "subject": case.subject_line,
        "recipient": recipient.value,
        "generated_at": beijing(now),
        "files": [
            _entry(n, item, recipient, keep, prefix)
            for n, item in enumerate(case_items(case), start=1)
        ],
    }


def _timeline(case: ComplaintCase, recipient: Recipient) -> list[dict[str, Any]]:
    return _timeline_rows(case.events.all(), recipient, case_keep(case))


def _timeline_rows(
    events: QuerySet[Any], recipient: Recipient, keep: list[str]
) -> list[dict[str, Any]]:
    """A timeline (a case's or a collective case's), its payloads redacted for ``recipient``."""
    return [
        {
            "seq": e.seq,
            "kind": e.kind,
            "label": str(e.get_kind_display()),
            "at": e.created_at,
            "actor": e.actor.get_username() if e.actor else None,
            "payload": redact_data(e.payload, recipient=recipient, keep=keep, not_text=_NOT_TEXT),
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in events.select_related("actor").order_by("seq")
    ]


def package_build(
    case: ComplaintCase,
    *,
    language: str = "zh-hans",
    documents: Sequence[Any] = (),
    now: datetime | None = None,
    recipient: Recipient | str = Recipient.COURT,
) -> ZipStream:
    """The package for ``recipient`` as a ZipStream: iterate it for the bytes, ``len()`` it
    for the size.

    ``documents`` are the current tier's filing documents (anything with ``filename`` and
    ``body``, and a ``form_label``), rendered by the caller: the evidence part knows no
    tier's documents. Every
    text in it is redacted for ``recipient`` and every file with a redacted copy is that
    copy, except for the court, which gets the originals; the manifest names the recipient.
    """
    now = now or timezone.now()
    recipient = Recipient(recipient)
    with translation.override(language):
        manifest = package_manifest(case, now=now, recipient=recipient)
        timeline = _timeline(case, recipient)
        receipt = receipt_build(case, now=now)
        index = render_to_string(
            "evidence/package_index.html",
            {
                "case": case,
                "manifest": manifest,
                "timeline": timeline,
                "receipt": receipt,
                "documents": documents,
            },
        )
        texts: list[tuple[str, bytes]] = [
            ("index.html", index.encode()),
            ("manifest.json", _json(manifest)),
            ("timeline.json", _json(timeline)),
            ("receipt.json", receipt_json(receipt).encode()),
            ("receipt.txt", receipt_text(receipt).encode()),
            ("summary.pdf", summary_pdf(case, language=language, recipient=recipient)),
        ]
        for document in documents:
            texts.append((f"filing/{document.filename}", document.body.encode()))
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    for arcname, data in texts:
        stream.add(data, arcname)
    _files_add(stream, case, manifest)
    return stream


def _files_add(stream: ZipStream, case: ComplaintCase, manifest: dict[str, Any]) -> None:
    """The case's files as ``manifest`` lists them (redacted copy or original), added as
    lazy iterators of known size: nothing is read until the bytes are sent."""
    for entry, item in zip(manifest["files"], case_items(case), strict=True):
        if entry["copy"] == "redacted":
            stream.add(
                _chunks(item.redacted_file.name or ""), entry["file"], size=entry["copy_size"]
            )
        else:
            stream.add(_chunks(item.stored_name), entry["file"], size=item.size)


def collective_package_build(
    collective: CollectiveCase,
    *,
    language: str = "zh-hans",
    now: datetime | None = None,
    recipient: Recipient | str = Recipient.REGULATOR,
) -> ZipStream:
    """The combined package of a collective case for ``recipient``, streamed like a case's.

    ``manifest.json`` names the collective and lists each member case with its evidence
    (file, kind, size, SHA-256), each member's part made by ``package_manifest`` under
    ``cases/<reference>/``, so it is redacted for ``recipient`` exactly as that case's own
    package is (its files the redacted copies for anyone but the court); ``timeline.json``
    is the collective's own timeline, ``cases/<reference>/timeline.json`` each member's.
    Only metadata is held in memory; files are read as the bytes are sent.
    """
    now = now or timezone.now()
    recipient = Recipient(recipient)
    members = list(
        collective.members.select_related("order__platform").order_by("created_at", "pk")
    )
    keep = [collective.reference or "", *(ref for m in members for ref in case_keep(m))]
    with translation.override(language):
        parts = [
            (
                member,
                package_manifest(
                    member, now=now, recipient=recipient, prefix=f"cases/{member.reference}/"
                ),
            )
            for member in members
        ]
        manifest = {
            "collective": collective.reference,
            "platform": collective.platform.name,
            "problem_type": collective.problem_type,
            "problem": str(collective.get_problem_type_display()),
            "title": redact(collective.title, recipient=recipient, keep=keep),
            "status": collective.status,
            "confirmed_at": collective.confirmed_at,
            "recipient": recipient.value,
            "generated_at": beijing(now),
            "cases": [part for _member, part in parts],
        }
        texts: list[tuple[str, bytes]] = [
            ("manifest.json", _json(manifest)),
            ("timeline.json", _json(_timeline_rows(collective.events.all(), recipient, keep))),
            *(
                (f"cases/{member.reference}/timeline.json", _json(_timeline(member, recipient)))
                for member in members
            ),
        ]
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    for arcname, data in texts:
        stream.add(data, arcname)
    for member, part in parts:
        _files_add(stream, member, part)
    return stream


def package_stream(
    case: ComplaintCase,
    *,
    language: str = "zh-hans",
    documents: Sequence[Any] = (),
    recipient: Recipient | str = Recipient.COURT,
) -> Iterator[bytes]:
    """The package's bytes, produced as they are sent."""
    yield from package_build(case, language=language, documents=documents, recipient=recipient)
