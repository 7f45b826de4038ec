"""The one place where the API reaches services owned by other parts of the project.

Each function calls the contract name (BRIEF.md) when that part has landed, and otherwise
a plain fallback that keeps the same rules visible to the API: every change goes through
``case_transition`` / ``event_append``, bad input raises a DomainError and writes
nothing. At merge time the lead can delete a fallback once its contract exists.
"""

import hashlib
import importlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import transaction
from django.template import TemplateDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.choices import OPEN_STATUSES, CaseStatus, EventKind
from complaints.errors import ImmutableRecord, InvalidInput, InvalidTransition, NotFound
from complaints.models import ComplaintCase
from complaints.timeline import event_append
from complaints.transitions import case_transition
from escalation.ladder import Tier
from escalation.models import TierStage


def _contract(module: str, name: str) -> Callable[..., Any] | None:
    """The other part's function if it is on this branch, else None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- stages ------------------------------------------------------------------------------


def stage_current(case: ComplaintCase) -> TierStage | None:
    """The case's open stage, or its last one once the case has ended.

    Lists prefetch the stages (``api_stages``); those are used as they are, so a page of
    cases costs no query per case.
    """
    stages = getattr(case, "api_stages", None)
    if stages is None:
        contract = _contract("escalation.selectors", "stage_current")
        if contract is not None:
            return contract(case)
        stages = list(case.stages.order_by("opened_at", "pk"))
    open_stages = [s for s in stages if s.closed_at is None]
    if open_stages:
        return open_stages[-1]
    return stages[-1] if stages else None


# --- responses, evidence requests and references (escalation, issue 3) --------------------


def case_record_response(
    *, case: ComplaintCase, actor: Any, source: str, text: str = "", now: datetime | None = None
) -> ComplaintCase:
    contract = _contract("complaints.services", "case_record_response")
    if contract is not None:
        contract(case=case, actor=actor, source=source, text=text, now=now)
        return case
    now = _now(now)
    with transaction.atomic():
        case_transition(
            case=case,
            to_status=CaseStatus.RESPONDED,
            actor=actor,
            event_kind=EventKind.RESPONSE_RECORDED,
            payload={"source": source, "text": text},
            now=now,
        )
        TierStage.objects.filter(
            case=case, closed_at__isnull=True, responded_at__isnull=True
        ).update(responded_at=now)
    return case


def case_accept_response(
    *, case: ComplaintCase, actor: Any, now: datetime | None = None
) -> ComplaintCase:
    contract = _contract("complaints.services", "case_accept_response")
    if contract is not None:
        contract(case=case, actor=actor, now=now)
        return case
    if case.status != CaseStatus.RESPONDED:
        raise InvalidTransition(_("There is no response to accept."))
    event_append(case=case, kind=EventKind.RESPONSE_ACCEPTED, actor=actor, now=_now(now))
    return case


def case_reject_response(
    *, case: ComplaintCase, actor: Any, reason: str = "", now: datetime | None = None
) -> ComplaintCase:
    contract = _contract("complaints.services", "case_reject_response")
    if contract is not None:
        contract(case=case, actor=actor, reason=reason, now=now)
        return case
    if case.status != CaseStatus.RESPONDED:
        raise InvalidTransition(_("There is no response to reject."))
    case_transition(
        case=case,
        to_status=CaseStatus.IN_PROGRESS,
        actor=actor,
        event_kind=EventKind.RESPONSE_REJECTED,
        payload={"reason": reason},
        now=_now(now),
    )
    return case


def case_request_evidence(
    *, case: ComplaintCase, actor: Any, message: str, now: datetime | None = None
) -> ComplaintCase:
    contract = _contract("complaints.services", "case_request_evidence")
    if contract is not None:
        contract(case=case, actor=actor, message=message, now=now)
        return case
    now = _now(now)
    with transaction.atomic():
        case_transition(
            case=case,
            to_status=CaseStatus.AWAITING_COMPLAINANT,
            actor=actor,
            event_kind=EventKind.EVIDENCE_REQUESTED,
            payload={"message": message},
            now=now,
        )
        TierStage.objects.filter(case=case, closed_at__isnull=True).update(paused_at=now)
    return case


def case_record_external_reference(
    *, case: ComplaintCase, actor: Any, reference: str, now: datetime | None = None
) -> ComplaintCase:
    contract = _contract("complaints.services", "case_record_external_reference")
    if contract is not None:
        contract(case=case, actor=actor, reference=reference, now=now)
        return case
    now = _now(now)
    reference = reference.strip()
    if not reference:
        raise InvalidInput(fields={"reference": [_("A reference is required.")]})
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The case has ended."))
    with transaction.atomic():
        changed = TierStage.objects.filter(case=case, closed_at__isnull=True).update(
            external_reference=reference, filed_at=now
        )
        if not changed:
            raise InvalidTransition(_("The case has no open stage."))
        event_append(
            case=case,
            kind=EventKind.EXTERNAL_REFERENCE,
            actor=actor,
            payload={"tier": case.tier, "reference": reference},
            now=now,
        )
    return case


def case_escalate_by_staff(
    *, case: ComplaintCase, actor: Any, now: datetime | None = None
) -> ComplaintCase:
    contract = _contract("complaints.services", "case_escalate_by_staff")
    if contract is not None:
        contract(case=case, actor=actor, now=now)
        case.refresh_from_db()
        return case
    from escalation.ladder import tier_next
    from escalation.services import stage_escalate

    if case.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The case has ended."))
    if tier_next(case.tier) is None:
        raise InvalidTransition(_("The case is already at the last tier."))
    stage = TierStage.objects.filter(case=case, closed_at__isnull=True).first()
    if stage is None or not stage_escalate(stage_id=stage.pk, now=_now(now), actor=actor):
        raise InvalidTransition(_("The case has no open stage."))
    case.refresh_from_db()
    return case


def case_message(
    *, case: ComplaintCase, actor: Any, text: str, now: datetime | None = None
) -> ComplaintCase:
    """A message from the complainant; it answers a request for evidence, if one is open."""
    contract = _contract("complaints.services", "case_message")
    if contract is not None:
        contract(case=case, actor=actor, text=text, now=now)
        return case
    now = _now(now)
    text = text.strip()
    if not text:
        raise InvalidInput(fields={"text": [_("Write a message.")]})
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The case has ended."))
    with transaction.atomic():
        event_append(
            case=case, kind=EventKind.MESSAGE, actor=actor, payload={"text": text}, now=now
        )
        if case.status == CaseStatus.AWAITING_COMPLAINANT:
            case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=now)
            TierStage.objects.filter(case=case, closed_at__isnull=True).update(paused_at=None)
    return case


# --- documents (escalation, issue 3) ------------------------------------------------------


def documents_for_case(case: ComplaintCase, *, language: str) -> list[Any]:
    """The filing document of every tier the case has reached, for which one exists."""
    from escalation.documents import document_render

    reached = set(case.stages.values_list("tier", flat=True)) | {case.tier}
    documents = []
    for tier in Tier.values:
        if tier not in reached:
            continue
        try:
            documents.append(document_render(case=case, tier=tier, language=language))
        except TemplateDoesNotExist:
            continue  # the escalation part adds the other tiers' templates
    return documents


# --- evidence (issue 4) -------------------------------------------------------------------

MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"RIFF", "audio/wav"),
]


def _sniff(head: bytes, name: str) -> str:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[4:8] == b"ftyp":
        return "video/mp4"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    stripped = head.lstrip()
    if stripped.startswith((b"{", b"[")):
        return "application/json"
    return "text/plain"


def _safe_name(name: str | None) -> str:
    """The uploader's file name without control characters (kept for display only)."""
    cleaned = "".join(ch for ch in (name or "") if ch.isprintable()).strip()
    return (cleaned or "upload")[-255:]


def evidence_add(
    *,
    bundle: Any,
    actor: Any,
    file: Any,
    kind: str,
    occurred_at: datetime | None = None,
    description: str = "",
    now: datetime | None = None,
) -> Any:
    """Add a file to a bundle; a bundle of a filed case gets the item sealed at once, in the
    case's timeline, while a draft bundle keeps it unsealed until filing."""
    contract = _contract("evidence.services", "evidence_add")
    if contract is not None:
        return contract(
            bundle=bundle,
            actor=actor,
            file=file,
            kind=kind,
            occurred_at=occurred_at,
            description=description,
            now=now,
        )
    from evidence.models import EvidenceItem, EvidenceKind
    from evidence.services import evidence_added_payload

    now = _now(now)
    case = bundle.case
    if kind not in EvidenceKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown kind of evidence.")]})
    if case is not None and case.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The case has ended; evidence can no longer be added."))
    size = file.size
    if not size:
        raise InvalidInput(fields={"file": [_("The file is empty.")]})
    if size > MAX_EVIDENCE_BYTES:
        raise InvalidInput(fields={"file": [_("The file is too large.")]})
    digest = hashlib.sha256()
    head = b""
    for chunk in file.chunks():
        if len(head) < 512:
            head += chunk[: 512 - len(head)]
        digest.update(chunk)
    file.seek(0)
    item = EvidenceItem(
        bundle=bundle,
        kind=kind,
        original_name=_safe_name(file.name),
        content_type=_sniff(head, file.name or ""),
        size=size,
        sha256=digest.hexdigest(),
        description=description[:500],
        occurred_at=occurred_at,
        uploaded_at=now,
        uploaded_by=actor,
        sealed_at=now if case is not None else None,
    )
    with transaction.atomic():
        item.file.save(item.sha256, file, save=False)
        item.save()
        if case is not None:
            event_append(
                case=case,
                kind=EventKind.EVIDENCE_ADDED,
                actor=actor,
                payload=evidence_added_payload(item),
                now=now,
            )
    return item


def case_bundle(case: ComplaintCase) -> Any:
    from evidence.models import EvidenceBundle

    bundle = EvidenceBundle.objects.filter(case=case).select_related("case").first()
    if bundle is None:
        raise InvalidInput(fields={"case": [_("The case has no evidence bundle.")]})
    return bundle


def draft_bundle_list_for_user(user: Any) -> Any:
    """The user's bundles not yet attached to a case (drafts of complaints)."""
    from evidence.models import EvidenceBundle

    if not user.is_authenticated:
        return EvidenceBundle.objects.none()
    return EvidenceBundle.objects.filter(owner=user, case__isnull=True)


def draft_bundle_get_for_user(user: Any, *, bundle_pk: int) -> Any:
    """The user's own draft bundle, or NotFound (also for others' and attached ones)."""
    bundle = draft_bundle_list_for_user(user).filter(pk=bundle_pk).first()
    if bundle is None:
        raise NotFound()
    return bundle


def draft_bundle_create(*, owner: Any, now: datetime | None = None) -> Any:
    from evidence.services import bundle_create

    return bundle_create(owner=owner, now=_now(now))


def evidence_discard_draft_item(*, item: Any, actor: Any) -> None:
    """Remove an unsealed item from a draft; sealed evidence is never removed."""
    contract = _contract("evidence.services", "evidence_discard_draft_item")
    if contract is not None:
        contract(item=item, actor=actor)
        return
    if item.sealed_at is not None:
        raise ImmutableRecord()
    name = item.file.name
    storage = item.file.storage
    with transaction.atomic():
        item.delete()
        transaction.on_commit(lambda: storage.delete(name))


def package_stream(case: ComplaintCase) -> Iterable[bytes]:
    """The evidence package ZIP of the case, as chunks of bytes."""
    contract = _contract("evidence.package", "package_stream")
    if contract is not None:
        return contract(case)
    return _package_fallback(case)


def _package_fallback(case: ComplaintCase) -> Iterator[bytes]:
    from evidence.models import EvidenceItem

    buffer = io.BytesIO()
    items = list(EvidenceItem.objects.filter(bundle__case=case).order_by("uploaded_at", "pk"))
    manifest = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, item in enumerate(items, start=1):
            name = f"{index:03d}-{item.kind}-{item.original_name}"
            with item.file.open("rb") as handle:
                archive.writestr(name, handle.read())
            manifest.append({"file": name, "sha256": item.sha256, "size": item.size})
        archive.writestr(
            "manifest.json",
            json.dumps({"case": case.reference, "items": manifest}, ensure_ascii=False, indent=2),
        )
    yield buffer.getvalue()


def receipt_build(case: ComplaintCase) -> dict[str, Any]:
    """What the complainant keeps as proof of what was filed and when."""
    contract = _contract("evidence.receipt", "receipt_build")
    if contract is not None:
        built = contract(case)
        if isinstance(built, dict):
            return built
        if hasattr(built, "__dataclass_fields__"):
            import dataclasses

            return dataclasses.asdict(built)
    from evidence.models import EvidenceItem

    last = case.events.order_by("-seq").first()
    return {
        "reference": case.reference,
        "filed_at": case.created_at,
        "timeline_head": {"seq": last.seq, "hash": last.hash} if last else None,
        "items": [
            {
                "id": item.pk,
                "kind": item.kind,
                "original_name": item.original_name,
                "size": item.size,
                "sha256": item.sha256,
                "sealed_at": item.sealed_at,
            }
            for item in EvidenceItem.objects.filter(bundle__case=case).order_by("uploaded_at", "pk")
        ],
    }


# re-exported so views import every service of a case action from one module
case_resolve = complaint_services.case_resolve
case_withdraw = complaint_services.case_withdraw
case_assign = complaint_services.case_assign
