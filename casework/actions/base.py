"""What several actions share: ``case_writes`` (one transaction, its events queued as
webhooks), the first-responder take, resuming the clocks, the complainant's email."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import transaction

from complaints.choices import CaseStatus, EventKind
from complaints.models import CaseEvent, ComplaintCase
from complaints.timeline import event_append
from complaints.transitions import case_transition
from escalation.services import stage_resume
from notifications.outbox import outbox_email
from notifications.webhooks import webhooks_queue


@contextmanager
def case_writes(case: ComplaintCase) -> Iterator[None]:
    """One transaction for an action on ``case``; its new events are queued as webhooks.

    The events are those with a sequence number above the case's last one at the start
    (all of the case's events for a case being filed). Another writer's event committed
    in between may be included too; it is queued once, as (endpoint, event) is unique.
    """
    with transaction.atomic():
        last = 0
        if case.pk is not None:
            last = (
                CaseEvent.objects.filter(case_id=case.pk)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
                or 0
            )
        yield
        if case.pk is not None:
            webhooks_queue(CaseEvent.objects.filter(case_id=case.pk, seq__gt=last))


def _complainant_email(
    *, case: ComplaintCase, subject: str, body: str, key: str, now: datetime | None = None
) -> None:
    if case.complainant.email:
        outbox_email(
            to=case.complainant.email,
            subject=subject,
            body=body,
            dedupe_key=key,
            case=case,
            now=now,
        )


def _clocks_resume(*, case: ComplaintCase, actor: Any, by: str, now: datetime) -> bool:
    """A request for evidence is answered (``by`` a message, an upload, or staff): the case
    is back in progress and its clocks run with the time they had left (at least the
    resume minimum). In the caller's ``case_writes``; False if nothing was waiting."""
    if case.status != CaseStatus.AWAITING_COMPLAINANT:
        return False
    case_transition(
        case=case,
        to_status=CaseStatus.IN_PROGRESS,
        actor=actor,
        event_kind=EventKind.CLOCKS_RESUMED,
        payload={"by": by},
        now=now,
    )
    stage_resume(case=case, now=now)
    return True


def first_responder_take(*, case: ComplaintCase, actor: Any, now: datetime) -> bool:
    """The staff member acting on an unassigned case becomes its owner (首问负责制).

    First-responder responsibility: whoever first answers a complaint keeps it until it
    closes or a supervisor reassigns it. A conditional update (``assigned_to IS NULL``),
    so of two staff acting at once exactly one becomes the owner; it also takes the case
    row's lock first, the order every action keeps. Returns whether ``actor`` took it.
    """
    if case.assigned_to_id is not None or actor.pk == case.complainant_id:
        return False
    taken = ComplaintCase.objects.filter(pk=case.pk, assigned_to__isnull=True).update(
        assigned_to=actor, updated_at=now
    )
    if not taken:
        case.assigned_to_id = (
            ComplaintCase.objects.filter(pk=case.pk).values_list("assigned_to", flat=True).get()
        )
        return False
    case.assigned_to = actor
    event_append(
        case=case,
        kind=EventKind.ASSIGNED,
        actor=actor,
        payload={"assignee": actor.get_username(), "reason": "first_responder"},
        now=now,
    )
    return True
