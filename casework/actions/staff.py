"""Staff acts on a case: the outside body's reference and acceptance, escalation,
assignment, and open stages recalculated under the current policy."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from complaints import services
from complaints.access import Act, check_act
from complaints.choices import OPEN_STATUSES, EventKind
from complaints.errors import InvalidInput, InvalidTransition
from complaints.models import ComplaintCase
from complaints.timeline import event_append
from escalation import messages
from escalation.services import (
    stage_recalculate,
    stage_record_filing,
    stage_record_outside_acceptance,
)

from ..sweep import case_escalate
from .base import case_writes, first_responder_take


def case_record_external_reference(
    *,
    case: ComplaintCase,
    actor: Any,
    reference: str,
    filed_at: datetime | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """The number the current tier gave the complaint; its date interrupts the limitation period.

    ``filed_at`` (when the complainant filed there; now if not given) starts an outside
    body's clock: 12315's accept clock (市场监督管理投诉举报处理暂行办法 art. 14).
    ``expires_at`` is the expiry an Alipay complaint shows; it becomes the stage's deadline.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.EXTERNAL_REFERENCE)
    reference = reference.strip()
    if not reference:
        raise InvalidInput(fields={"reference": [str(messages.REFERENCE_EMPTY)]})
    services.moment_check(field="filed_at", value=filed_at, now=now)
    with case_writes(case):
        stage = stage_record_filing(
            case=case, reference=reference, now=now, filed_at=filed_at, expires_at=expires_at
        )
        if stage is None:
            raise InvalidTransition()
        event_append(
            case=case,
            kind=EventKind.EXTERNAL_REFERENCE,
            actor=actor,
            payload={
                "tier": stage.tier,
                "reference": reference,
                "filed_at": stage.filed_at,
                "expires_at": stage.outside_expires_at,
            },
            now=now,
        )
    return case


def case_record_acceptance(
    *, case: ComplaintCase, actor: Any, accepted_at: datetime, now: datetime | None = None
) -> ComplaintCase:
    """12315 accepted the complaint on ``accepted_at``: its accept clock stops and its
    45-working-day mediation clock runs from then (市场监督管理投诉举报处理暂行办法 art. 21)."""
    now = now or timezone.now()
    check_act(actor, case, Act.RECORD_ACCEPTANCE)
    services.moment_check(field="accepted_at", value=accepted_at, now=now)
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition()
    with case_writes(case):
        stage = stage_record_outside_acceptance(case=case, accepted_at=accepted_at, now=now)
        event_append(
            case=case,
            kind=EventKind.OUTSIDE_ACCEPTED,
            actor=actor,
            payload={
                "tier": stage.tier,
                "accepted_at": accepted_at,
                "resolution_due": stage.resolution_due_at,
            },
            now=now,
        )
    return case


def case_escalate_by_staff(
    *, case: ComplaintCase, actor: Any, reason: str = "", now: datetime | None = None
) -> ComplaintCase:
    """Staff move the case up a tier before its deadline (needs complaints.escalate_case).

    The same engine as the sweep, as a batch of one; ``reason`` is kept in the timeline.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.ESCALATE)
    with case_writes(case):
        first_responder_take(case=case, actor=actor, now=now)
        case_escalate(case=case, actor=actor, reason=reason, now=now)
    return case


def case_assign(
    *, case: ComplaintCase, assignee: Any, actor: Any, now: datetime | None = None
) -> ComplaintCase:
    """Give the case to a staff member (first-responder responsibility: they own it).

    A triager takes an unassigned case, or gives back their own; giving a case to anyone
    else, or taking one from its owner, is ``Act.REASSIGN`` (supervisors).
    """
    check_act(actor, case, Act.ASSIGN)
    own = case.assigned_to_id in (None, actor.pk)
    if not own or (assignee is not None and assignee.pk != actor.pk):
        check_act(actor, case, Act.REASSIGN)
    with case_writes(case):
        return services.case_assign(case=case, assignee=assignee, actor=actor, now=now)


def stages_recalculate(*, stages: Any, actor: Any, now: datetime | None = None) -> int:
    """Staff apply the current deadline policy to open stages; returns how many moved."""
    now = now or timezone.now()
    done = 0
    for stage in stages.filter(closed_at__isnull=True).select_related("case"):
        with case_writes(stage.case):
            done += int(stage_recalculate(stage=stage, actor=actor, now=now))
    return done
