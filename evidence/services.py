"""Changes to evidence: bundles and items."""

from datetime import datetime

from django.db import transaction

from complaints.choices import EventKind
from complaints.errors import InvalidInput
from complaints.models import ComplaintCase
from complaints.timeline import event_append

from .models import EvidenceBundle, EvidenceItem


def bundle_create(*, owner: object, now: datetime) -> EvidenceBundle:
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
