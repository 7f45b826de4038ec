"""Opening tier stages and escalating overdue ones."""

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from complaints.choices import OPEN_STATUSES, EventKind
from complaints.models import ComplaintCase
from complaints.timeline import event_append

from .deadlines import stage_deadlines
from .ladder import tier_next
from .models import StageCloseReason, TierStage

logger = logging.getLogger(__name__)


def stage_open(*, case: ComplaintCase, tier: str, now: datetime) -> TierStage:
    """Open the case's stage at ``tier`` with its clocks starting at ``now``."""
    deadlines = stage_deadlines(tier=tier, urgency=case.urgency, opened_at=now)
    return TierStage.objects.create(
        case=case,
        tier=tier,
        opened_at=now,
        first_response_due_at=deadlines.first_response_due_at,
        update_due_at=deadlines.update_due_at,
        resolution_due_at=deadlines.resolution_due_at,
        next_due_at=deadlines.next_due_at,
    )


def stage_escalate(*, stage_id: int, now: datetime, actor: Any = None) -> bool:
    """Close an open stage and open the next tier's; False if someone else already did.

    The stage row is locked and re-checked inside the transaction, and the close is
    conditional on the stage still being open, so a second sweep is a no-op.
    """
    with transaction.atomic():
        stage = (
            TierStage.objects.select_for_update()
            .select_related("case")
            .filter(pk=stage_id, closed_at__isnull=True)
            .first()
        )
        if stage is None or stage.case.status not in OPEN_STATUSES:
            return False
        case = stage.case
        next_tier = tier_next(stage.tier)
        if next_tier is None:
            if case.needs_staff_attention:
                return False
            ComplaintCase.objects.filter(pk=case.pk).update(
                needs_staff_attention=True, updated_at=now
            )
            TierStage.objects.filter(pk=stage.pk).update(next_due_at=None)
            event_append(
                case=case,
                kind=EventKind.LADDER_EXHAUSTED,
                actor=actor,
                payload={"tier": stage.tier},
                now=now,
            )
            return True
        reason = StageCloseReason.ESCALATED_BY_STAFF if actor else StageCloseReason.EXPIRED
        TierStage.objects.filter(pk=stage.pk, closed_at__isnull=True).update(
            closed_at=now, close_reason=reason, next_due_at=None
        )
        stage_open(case=case, tier=next_tier, now=now)
        ComplaintCase.objects.filter(pk=case.pk).update(tier=next_tier, updated_at=now)
        case.tier = next_tier
        event_append(
            case=case,
            kind=EventKind.ESCALATED,
            actor=actor,
            payload={"from_tier": stage.tier, "to_tier": next_tier, "reason": reason},
            now=now,
        )
    return True


def sweep_overdue(*, now: datetime | None = None) -> int:
    """Escalate every stage whose next deadline has passed; returns how many moved."""
    now = now or timezone.now()
    overdue = TierStage.objects.filter(
        closed_at__isnull=True, paused_at__isnull=True, next_due_at__lte=now
    ).values_list("pk", flat=True)
    escalated = 0
    for stage_id in list(overdue):
        if stage_escalate(stage_id=stage_id, now=now):
            escalated += 1
    if escalated:
        logger.info("escalated %d overdue stage(s)", escalated)
    return escalated


def stage_close_open(*, case: ComplaintCase, reason: str, now: datetime) -> int:
    """Stop the case's clocks: its open stage ends with ``reason``."""
    return TierStage.objects.filter(case=case, closed_at__isnull=True).update(
        closed_at=now, close_reason=reason, next_due_at=None
    )
