"""Changes to evidence: bundles and items."""

import os
import tempfile
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.access import Act, may_act
from complaints.choices import CaseStatus, EventKind
from complaints.errors import ImmutableRecord, InvalidInput, NotFound, StateConflict
from complaints.models import ComplaintCase
from complaints.timeline import event_append

from .har_redact import har_redact
from .models import EvidenceBundle, EvidenceItem, EvidenceKind
from .pdfcheck import pdf_check
from .storage import evidence_storage
from .validation import (
    DerivedImages,
    ReceivedUpload,
    image_derive,
    json_check,
    type_detect,
    upload_receive,
)

CLOSED_CASE_STATUSES = frozenset({CaseStatus.WITHDRAWN, CaseStatus.CLOSED})


def bundle_create(*, owner: Any, now: datetime) -> EvidenceBundle:
    """An empty bundle for a complaint still being written."""
    return EvidenceBundle.objects.create(owner=owner, created_at=now)


def evidence_added_payload(item: EvidenceItem) -> dict[str, object]:
    """What the timeline records of an item: enough to prove later which bytes were filed."""
    return {
        "item": item.pk,
        "kind": item.kind,
        "name": item.original_name,
        "size": item.size,
        "sha256": item.sha256,
    }


def bundle_attach(*, bundle: EvidenceBundle, case: ComplaintCase, now: datetime) -> EvidenceBundle:
    """Make ``bundle`` the case's evidence and seal every item in it, each in the timeline.

    Called inside the filing transaction; the bundle row is locked so that a bundle can
    never end up attached to two cases.
    """
    with transaction.atomic():
        locked = EvidenceBundle.objects.select_for_update().get(pk=bundle.pk)
        if locked.case_id is not None or locked.owner_id != case.complainant_id:
            raise InvalidInput(fields={"bundle": ["This evidence belongs to another complaint."]})
        locked.case = case
        locked.save(update_fields=["case"])
        items = list(locked.items.filter(sealed_at__isnull=True).order_by("uploaded_at", "pk"))
        EvidenceItem.objects.filter(pk__in=[i.pk for i in items]).update(sealed_at=now)
        for item in items:
            event_append(
                case=case,
                kind=EventKind.EVIDENCE_ADDED,
                actor=item.uploaded_by,
                payload=evidence_added_payload(item),
                now=now,
            )
    return locked


# --- uploads ----------------------------------------------------------------------------


def _may_add(actor: Any, bundle: EvidenceBundle) -> bool:
    """A draft's evidence is its owner's alone; a filed case's follows the case's rule."""
    if bundle.case is None:
        return getattr(actor, "pk", None) == bundle.owner_id
    return may_act(actor, bundle.case, Act.ADD_EVIDENCE)


def _analyse(received: ReceivedUpload, kind: str) -> dict[str, Any]:
    """What the portal can read from a network log or pasted diagnostics; refuses broken HARs."""
    from .har import HarError, har_summarise
    from .netdiag import NetdiagError, netdiag_parse

    if received.content_type == "application/har+json":
        try:
            with received.open() as handle:
                return {"har": har_summarise(handle)}
        except HarError as exc:
            raise InvalidInput(str(exc), fields={"file": [str(exc)]}) from exc
    if received.content_type == "text/plain" and kind == EvidenceKind.NETWORK_DIAGNOSTICS:
        with received.open() as handle:
            text = handle.read(NETDIAG_MAX_BYTES).decode("utf-8", errors="replace")
        try:
            return {"netdiag": netdiag_parse(text)}
        except NetdiagError as exc:
            return {"netdiag_error": str(exc)}
    return {}


NETDIAG_MAX_BYTES = 1024 * 1024


def evidence_add(
    *,
    bundle: EvidenceBundle,
    actor: Any,
    file: Any,
    kind: str,
    occurred_at: datetime | None = None,
    description: str = "",
    now: datetime | None = None,
) -> EvidenceItem:
    """Validate and store one file of evidence; in a filed case it is sealed at once.

    The file is streamed to a private temporary file while it is hashed, its type decided
    from its content, images checked and copied without metadata; only then is anything
    written to evidence storage, so a refused upload leaves nothing behind. The bundle row
    is locked while the per-case limit is checked, so two uploads cannot both squeeze in.
    """
    now = now or timezone.now()
    if not _may_add(actor, bundle):
        raise NotFound()
    if kind not in EvidenceKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown kind of evidence.")]})
    if bundle.case is not None and bundle.case.status in CLOSED_CASE_STATUSES:
        # A conflict with the case's state, not a bad value: the same file is welcome on
        # an open case (the API answers 409, RFC 9110 §15.5.10).
        raise ImmutableRecord(
            _("This complaint is closed; evidence can no longer be added."),
            fields={"file": [_("This complaint is closed; evidence can no longer be added.")]},
        )
    description = (description or "").strip()[:500]
    raw_name = getattr(file, "name", "") or "evidence"
    if any(not c.isprintable() for c in raw_name):
        # A NUL or control character can cut a name short in storage or in a viewer
        # ("photo.jpg\x00.html"): CWE-158.
        message = _("The file name contains control characters; rename the file.")
        raise InvalidInput(message, fields={"file": [message]})
    name = os.path.basename(raw_name)[:255] or "evidence"
    claimed_type = getattr(file, "content_type", "") or ""
    used = bundle.items.aggregate(total=Sum("size"))["total"] or 0
    room = settings.EVIDENCE_MAX_CASE_BYTES - used
    declared = getattr(file, "size", None)  # Django's uploads know it; a stream may not
    if room <= 0 or (declared and room < declared <= settings.EVIDENCE_MAX_FILE_BYTES):
        raise _case_full()  # would fit a case with room left
    limit = min(settings.EVIDENCE_MAX_FILE_BYTES, room)
    with upload_receive(file, max_bytes=max(limit, 0)) as received:
        type_detect(received, claimed_name=name, claimed_type=claimed_type)
        if received.content_type == "application/json":
            json_check(received)
        elif received.content_type == "application/pdf":
            pdf_check(received.path)
        derived = image_derive(received) if received.content_type.startswith("image/") else None
        analysis = _analyse(received, kind)
        if derived is not None:
            analysis["image"] = {"width": derived.width, "height": derived.height}
        har_copy = _har_copy(received, analysis)
        return _item_store(
            bundle=bundle,
            actor=actor,
            received=received,
            derived=derived,
            har_copy=har_copy,
            kind=kind,
            name=name,
            description=description,
            occurred_at=occurred_at,
            analysis=analysis,
            now=now,
        )


def _har_copy(received: ReceivedUpload, analysis: dict[str, Any]) -> Any:
    """The HAR's redacted copy in a temporary file (cookies, tokens, card keys out), or None.

    Every recipient but the court gets this copy (see evidence.har_redact); its size and
    hash go into the analysis so that the package's manifest can name them.
    """
    if received.content_type != "application/har+json":
        return None
    copy = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _item_store
    with received.open() as handle:
        analysis["redacted_copy"] = har_redact(handle, copy)
    copy.seek(0)
    return copy


def _case_full() -> StateConflict:
    """The case's evidence is full: the same file is fine for a case with room left."""
    message = _("This complaint's evidence has reached the %(limit)s allowed per case.") % {
        "limit": f"{settings.EVIDENCE_MAX_CASE_BYTES // (1024 * 1024)} MB"
    }
    return StateConflict(message, fields={"file": [message]})


def _item_store(
    *,
    bundle: EvidenceBundle,
    actor: Any,
    received: ReceivedUpload,
    derived: DerivedImages | None,
    kind: str,
    har_copy: Any = None,
    name: str,
    description: str,
    occurred_at: datetime | None,
    analysis: dict[str, Any],
    now: datetime,
) -> EvidenceItem:
    storage = evidence_storage()
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = EvidenceBundle.objects.select_for_update().get(pk=bundle.pk)
            used = locked.items.aggregate(total=Sum("size"))["total"] or 0
            if used + received.size > settings.EVIDENCE_MAX_CASE_BYTES:
                raise _case_full()
            if locked.items.filter(sha256=received.sha256).exists():
                message = _("This file is already in the evidence.")
                raise StateConflict(message, fields={"file": [message]})
            item = EvidenceItem(
                bundle=locked,
                kind=kind,
                original_name=name,
                content_type=received.content_type,
                size=received.size,
                sha256=received.sha256,
                description=description,
                occurred_at=occurred_at,
                uploaded_at=now,
                uploaded_by=actor,
                analysis=analysis,
                sealed_at=now if locked.case_id is not None else None,
            )
            with received.open() as handle:
                item.file.save(name, File(handle), save=False)
            written.append(item.stored_name)
            if derived is not None:
                stem = item.stored_name
                item.redacted_file.name = storage.save(
                    f"{stem}.redacted{derived.redacted_extension}", ContentFile(derived.redacted)
                )
                written.append(item.redacted_file.name)
                item.thumbnail.name = storage.save(
                    f"{stem}.thumb.jpg", ContentFile(derived.thumbnail)
                )
                written.append(item.thumbnail.name)
            if har_copy is not None:
                item.redacted_file.name = storage.save(
                    f"{item.file.name}.redacted.har", File(har_copy)
                )
                written.append(item.redacted_file.name)
            item.save()
            if locked.case is not None:
                event_append(
                    case=locked.case,
                    kind=EventKind.EVIDENCE_ADDED,
                    actor=actor,
                    payload=evidence_added_payload(item),
                    now=now,
                )
    except BaseException:
        for stored in written:
            storage.delete(stored)
        raise
    finally:
        if har_copy is not None:
            har_copy.close()
    return item


def evidence_discard_draft_item(*, item: EvidenceItem, actor: Any) -> None:
    """Remove an item from a complaint still being written; filed evidence is never removed."""
    with transaction.atomic():
        locked = (
            EvidenceItem.objects.select_for_update()
            .select_related("bundle")
            .filter(pk=item.pk)
            .first()
        )
        if locked is None or locked.bundle.owner_id != getattr(actor, "pk", None):
            raise NotFound()
        if locked.sealed_at is not None or locked.bundle.case_id is not None:
            raise ImmutableRecord()
        names = [f.name for f in (locked.file, locked.redacted_file, locked.thumbnail) if f.name]
        locked.delete()
        storage = evidence_storage()

        def delete_files() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)
