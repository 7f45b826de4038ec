"""The portal's one doorway to the evidence and escalation parts (issues 3 and 4).

Every page calls the services of the other parts through these functions only. Each one
uses the contract's service when it is importable and otherwise a plain fallback that
keeps the portal working (and never loses what the complainant sent) until that part
lands. At merge, delete a fallback once the real service exists; the pages do not change.
"""

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.choices import LOST_ORDER_TYPES, CaseStatus, EventKind
from complaints.errors import InvalidInput
from complaints.models import ComplaintCase
from complaints.timeline import event_append
from complaints.transitions import case_transition
from evidence.models import EvidenceBundle, EvidenceItem, EvidenceKind


def _contract(module: str, name: str) -> Any:
    """The other part's function ``module.name``, or None while that part has not landed."""
    try:
        imported = __import__(module, fromlist=[name])
    except ImportError:
        return None
    return getattr(imported, name, None)


# --- evidence (issue 4) ------------------------------------------------------------------


def evidence_add(
    *,
    bundle: EvidenceBundle,
    actor: Any,
    file: UploadedFile,
    kind: str,
    occurred_at: datetime | None = None,
    description: str = "",
    now: datetime | None = None,
) -> EvidenceItem:
    """Contract: ``evidence.services.evidence_add`` (validates type and size, streams)."""
    real = _contract("evidence.services", "evidence_add")
    if real is not None:
        return real(
            bundle=bundle,
            actor=actor,
            file=file,
            kind=kind,
            occurred_at=occurred_at,
            description=description,
            now=now,
        )
    return _evidence_add_plain(
        bundle=bundle,
        actor=actor,
        file=file,
        kind=kind,
        occurred_at=occurred_at,
        description=description,
        now=now or timezone.now(),
    )


def _evidence_add_plain(
    *,
    bundle: EvidenceBundle,
    actor: Any,
    file: UploadedFile,
    kind: str,
    occurred_at: datetime | None,
    description: str,
    now: datetime,
) -> EvidenceItem:
    """Fallback: keep the bytes as received, hashed chunk by chunk; sealed at once if filed."""
    from evidence.services import evidence_added_payload

    if kind not in EvidenceKind.values:
        raise InvalidInput(fields={"kind": [_("Choose what kind of evidence this is.")]})
    if not file.size:
        raise InvalidInput(
            fields={"files": [_("The file %(name)s is empty.") % {"name": file.name}]}
        )
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    item = EvidenceItem(
        bundle=bundle,
        kind=kind,
        original_name=(file.name or "file")[:255],
        content_type=(file.content_type or "application/octet-stream")[:100],
        size=file.size,
        sha256=digest.hexdigest(),
        description=description[:500],
        occurred_at=occurred_at,
        uploaded_at=now,
        uploaded_by=actor,
    )
    with transaction.atomic():
        item.file.save(item.sha256, file, save=False)
        if bundle.case_id is not None:
            item.sealed_at = now
        item.save()
        if bundle.case_id is not None:
            event_append(
                case=bundle.case,
                kind=EventKind.EVIDENCE_ADDED,
                actor=actor,
                payload=evidence_added_payload(item),
                now=now,
            )
    return item


def evidence_discard_draft_item(*, item: EvidenceItem, actor: Any) -> None:
    """Contract: ``evidence.services.evidence_discard_draft_item`` (unsealed items only)."""
    real = _contract("evidence.services", "evidence_discard_draft_item")
    if real is not None:
        real(item=item, actor=actor)
        return
    if item.sealed_at is not None or item.bundle.case_id is not None:
        raise InvalidInput(fields={"item": [_("Filed evidence is kept and cannot be removed.")]})
    # The file stays in storage (named by its hash): another draft may hold the same bytes.
    EvidenceItem.objects.filter(pk=item.pk, sealed_at__isnull=True).delete()


def _entry(entry: Any) -> dict[str, Any]:
    if isinstance(entry, dict):
        return entry
    return {
        name: getattr(entry, name, None)
        for name in ("kind", "required", "present", "why", "label", "level")
    }


# Fallback checklist: what DOMAIN.md says a lost-order complaint cannot do without.
_PLAIN_CHECKLIST: tuple[tuple[str, bool, str], ...] = (
    (EvidenceKind.PAYMENT_VOUCHER, True, gettext_noop("It proves you paid, and how much.")),
    (
        EvidenceKind.ORDER_RECORD,
        True,
        gettext_noop("It proves the order exists and what it promised."),
    ),
    (
        EvidenceKind.ERROR_SCREENSHOT,
        False,
        gettext_noop("It shows what went wrong, when it went wrong."),
    ),
    (EvidenceKind.CHAT_LOG, False, gettext_noop("It shows you asked the platform first.")),
)


def checklist_for(*, problem_type: str, amount: Any, kinds_present: Iterable[str]) -> list[dict]:
    """Contract: ``evidence.selectors.checklist_for``; entries as dicts for the templates."""
    real = _contract("evidence.selectors", "checklist_for")
    present = set(kinds_present)
    if real is not None:
        entries = [
            _entry(e) for e in real(problem_type=problem_type, amount=amount, kinds_present=present)
        ]
    else:
        entries = [
            {"kind": kind, "required": required, "present": kind in present, "why": _(why)}
            for kind, required, why in _PLAIN_CHECKLIST
            if required or problem_type in LOST_ORDER_TYPES or kind == EvidenceKind.CHAT_LOG
        ]
    labels = dict(EvidenceKind.choices)
    for entry in entries:
        entry.setdefault("label", labels.get(entry.get("kind"), entry.get("kind")))
        entry["label"] = entry.get("label") or labels.get(entry.get("kind"), entry.get("kind"))
    return entries


def checklist_for_case(case: ComplaintCase, items: list[EvidenceItem]) -> list[dict]:
    """Contract: ``evidence.selectors.checklist_for_case``; here from the items already read."""
    return checklist_for(
        problem_type=case.problem_type,
        amount=case.order.amount,
        kinds_present={item.kind for item in items},
    )


def evidence_item_urls(item: EvidenceItem) -> dict[str, str | None]:
    """Where the page links an item's download and thumbnail.

    Fallback: the portal's own access-checked views. Switch to the evidence part's
    ``evidence:`` views at merge.
    """
    download = reverse("portal:evidence_download", kwargs={"item_pk": item.pk})
    thumbnail = f"{download}?inline=1" if item.content_type.startswith("image/") else None
    return {"download": download, "thumbnail": thumbnail}


def receipt_context(case: ComplaintCase, items: list[EvidenceItem]) -> dict[str, Any]:
    """What the receipt page shows. Contract: ``evidence.receipt.receipt_build(case)``."""
    real = _contract("evidence.receipt", "receipt_build")
    return {"case": case, "items": items, "built": real(case) if real is not None else None}


def package_bytes(case: ComplaintCase, items: list[EvidenceItem]) -> tuple[str, Iterable[bytes]]:
    """The evidence package as (file name, chunks). Contract: ``evidence.package.package_stream``.

    Fallback: a zip of the files (by kind and original name), the timeline and a manifest
    with every file's SHA-256.
    """
    real = _contract("evidence.package", "package_stream")
    name = f"{case.reference}-evidence.zip"
    if real is not None:
        return name, real(case)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = []
        for index, item in enumerate(items, start=1):
            arcname = f"{index:02d}-{item.kind}-{item.original_name}".replace("/", "_")
            with item.file.open("rb") as handle:
                archive.writestr(arcname, handle.read())
            manifest.append({"file": arcname, "sha256": item.sha256, "size": item.size})
        events = [
            {"seq": e.seq, "kind": e.kind, "at": e.created_at.isoformat(), "hash": e.hash}
            for e in case.events.order_by("seq")
        ]
        archive.writestr(
            "manifest.json",
            json.dumps(
                {"case": case.reference, "files": manifest, "timeline": events},
                ensure_ascii=False,
                indent=2,
            ),
        )
    return name, [buffer.getvalue()]


# --- escalation (issue 3) ----------------------------------------------------------------


def document_render(*, case: ComplaintCase, tier: str | None = None, language: str) -> Any:
    """The filing document for the tier, or None while that tier has no template yet."""
    from escalation.documents import document_render as render

    try:
        return render(case=case, tier=tier, language=language)
    except TemplateDoesNotExist:
        return None


def case_message(*, case: ComplaintCase, actor: Any, text: str, now: datetime) -> None:
    """Contract: ``complaints.services.case_message`` (restarts the update clock)."""
    real = _contract("complaints.services", "case_message")
    if real is not None:
        real(case=case, actor=actor, text=text, now=now)
        return
    with transaction.atomic():
        event_append(
            case=case, kind=EventKind.MESSAGE, actor=actor, payload={"text": text}, now=now
        )
        if case.status == CaseStatus.AWAITING_COMPLAINANT:
            case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=now)


def case_record_external_reference(
    *, case: ComplaintCase, actor: Any, reference: str, now: datetime
) -> None:
    """Contract: ``complaints.services.case_record_external_reference``."""
    from escalation.models import TierStage

    real = _contract("complaints.services", "case_record_external_reference")
    if real is not None:
        real(case=case, actor=actor, reference=reference, now=now)
        return
    with transaction.atomic():
        stage = TierStage.objects.filter(case=case, closed_at__isnull=True).first()
        if stage is None:
            raise InvalidInput(fields={"reference": [_("The case is not open at any tier.")]})
        TierStage.objects.filter(pk=stage.pk).update(
            external_reference=reference, filed_at=stage.filed_at or now
        )
        event_append(
            case=case,
            kind=EventKind.EXTERNAL_REFERENCE,
            actor=actor,
            payload={"tier": stage.tier, "reference": reference},
            now=now,
        )


def case_accept_response(*, case: ComplaintCase, actor: Any, now: datetime) -> None:
    """Contract: ``complaints.services.case_accept_response``."""
    real = _contract("complaints.services", "case_accept_response")
    if real is not None:
        real(case=case, actor=actor, now=now)
        return
    if case.status != CaseStatus.RESPONDED:
        raise InvalidInput(fields={"response": [_("There is no response to accept.")]})
    event_append(case=case, kind=EventKind.RESPONSE_ACCEPTED, actor=actor, now=now)


def case_reject_response(*, case: ComplaintCase, actor: Any, reason: str, now: datetime) -> None:
    """Contract: ``complaints.services.case_reject_response`` (the clock runs on)."""
    real = _contract("complaints.services", "case_reject_response")
    if real is not None:
        real(case=case, actor=actor, reason=reason, now=now)
        return
    if case.status != CaseStatus.RESPONDED:
        raise InvalidInput(fields={"response": [_("There is no response to reject.")]})
    with transaction.atomic():
        event_append(
            case=case,
            kind=EventKind.RESPONSE_REJECTED,
            actor=actor,
            payload={"reason": reason},
            now=now,
        )
        case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=now)


def email_case_filed(*, case: ComplaintCase, receipt_url: str) -> None:
    """Tell the complainant the case is filed. Contract: ``escalation.outbox.outbox_email``.

    Fallback: Django's mail after the filing commits (a lost email loses no case data).
    """
    to = case.complainant.email
    if not to:
        return
    subject = _("Complaint %(reference)s filed") % {"reference": case.reference}
    body = _(
        "Your complaint %(reference)s about %(platform)s order %(order)s is filed.\n"
        "Receipt and next steps: %(url)s\n"
    ) % {
        "reference": case.reference,
        "platform": case.order.platform.name,
        "order": case.order.order_number,
        "url": settings.SITE_URL.rstrip("/") + receipt_url,
    }
    real = _contract("escalation.outbox", "outbox_email")
    if real is not None:
        real(to=to, subject=subject, body=body, dedupe_key=f"filed:{case.pk}", case=case)
        return
    transaction.on_commit(lambda: send_mail(subject, body, None, [to], fail_silently=True))
