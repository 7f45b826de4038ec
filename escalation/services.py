"""Opening tier stages and moving their clocks; the engine that escalates them is engine.py.

Lock order, everywhere: the case row first, then its stage. Every writer of a stage holds
its case's row lock, so the sweep, which claims case rows with SKIP LOCKED, never
escalates a stage that a service is changing, and never waits for one.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from complaints.choices import EventKind
from complaints.models import ComplaintCase
from complaints.timeline import (
    event_append,
)

from .deadlines import (
    DEFAULT_TERMS,
    PolicyTerms,
    clock_due,
    clock_resume,
    next_due,
    stage_deadlines,
    warn_at_for,
)
from .models import DeadlinePolicy, TierStage

logger = logging.getLogger(__name__)


def warning_lead() -> timedelta:
    return timedelta(hours=settings.ESCALATION_WARNING_LEAD_HOURS)


def policy_terms_all() -> dict[tuple[str, str], PolicyTerms]:
    """Every tier's terms: the policy rows where they exist, DOMAIN.md's defaults otherwise."""
    terms = dict(DEFAULT_TERMS)
    for policy in DeadlinePolicy.objects.all():
        terms[(policy.tier, policy.urgency)] = policy.terms()
    return terms


def policy_terms(*, tier: str, urgency: str) -> PolicyTerms:
    policy = DeadlinePolicy.objects.filter(tier=tier, urgency=urgency).first()
    return policy.terms() if policy else DEFAULT_TERMS[(tier, urgency)]


def stage_fields(*, tier: str, terms: PolicyTerms, now: datetime) -> dict[str, Any]:
    """The columns of a new stage at ``tier`` opened at ``now`` (all but the case).

    The one stage builder: ``stage_open`` saves one, the engine inserts thousands (it
    builds these once per tier and urgency of a batch). The policy's terms are copied
    onto the stage, so a later policy change never moves a promised deadline.
    """
    deadlines = stage_deadlines(terms=terms, opened_at=now)
    return {
        "tier": tier,
        "opened_at": now,
        "first_response_due_at": deadlines.first_response_due_at,
        "update_due_at": deadlines.update_due_at,
        "resolution_due_at": deadlines.resolution_due_at,
        "next_due_at": deadlines.next_due_at,
        "warn_at": warn_at_for(deadlines.next_due_at, now=now, lead=warning_lead()),
        "terms": terms.as_json(),
        "update_anchor_at": now,
    }


def stage_open(*, case: ComplaintCase, tier: str, now: datetime) -> TierStage:
    """Open the case's stage at ``tier``; the current policy is copied onto it."""
    terms = policy_terms(tier=tier, urgency=case.urgency)
    stage = TierStage(case_id=case.pk, **stage_fields(tier=tier, terms=terms, now=now))
    stage.save()
    return stage


def _stage_refresh_due(stage: TierStage, *, now: datetime) -> None:
    """Recompute the sweep's columns from the three clocks and save them."""
    stage.next_due_at = next_due(
        stage.first_response_due_at, stage.update_due_at, stage.resolution_due_at
    )
    if stage.next_due_at is not None and stage.next_due_at <= now and stage.paused_at is None:
        stage.warn_at = None
    else:
        stage.warn_at = warn_at_for(stage.next_due_at, now=now, lead=warning_lead())
    stage.save(
        update_fields=[
            "first_response_due_at",
            "update_due_at",
            "resolution_due_at",
            "next_due_at",
            "warn_at",
            "paused_at",
            "responded_at",
            "update_anchor_at",
            "terms",
        ]
    )


def _open_stage_locked(case: ComplaintCase) -> TierStage | None:
    """The case's open stage, with the case row locked for the caller's transaction."""
    ComplaintCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
    return TierStage.objects.filter(case=case, closed_at__isnull=True).first()


def stage_record_response(*, case: ComplaintCase, now: datetime) -> TierStage | None:
    """A response at the current tier stops its first-response clock; the others run on."""
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None or stage.responded_at is not None:
            return stage
        stage.responded_at = now
        stage.first_response_due_at = None
        _stage_refresh_due(stage, now=now)
    return stage


def stage_restart_update_clock(*, case: ComplaintCase, now: datetime) -> TierStage | None:
    """The complainant wrote: the respondent owes an update counted from now."""
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None:
            return None
        terms = PolicyTerms.from_json(stage.terms)
        stage.update_anchor_at = now
        if terms.update is not None:
            stage.update_due_at = clock_due(terms.update, now)
        _stage_refresh_due(stage, now=now)
    return stage


def stage_pause(*, case: ComplaintCase, now: datetime) -> TierStage | None:
    """Stop the clocks while the case waits on the complainant."""
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None or stage.paused_at is not None:
            return stage
        stage.paused_at = now
        _stage_refresh_due(stage, now=now)
    return stage


def stage_resume(*, case: ComplaintCase, now: datetime) -> TierStage | None:
    """Restart the clocks with the time they had left (at least the resume minimum)."""
    minimum = timedelta(minutes=settings.ESCALATION_RESUME_MINIMUM_MINUTES)
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None or stage.paused_at is None:
            return stage
        terms = PolicyTerms.from_json(stage.terms)
        for clock in ("first_response", "update", "resolution"):
            due = getattr(stage, f"{clock}_due_at")
            rule = terms.rule(clock)
            if due is not None and rule is not None:
                resumed = clock_resume(
                    unit=rule.unit, due=due, paused_at=stage.paused_at, now=now, minimum=minimum
                )
                setattr(stage, f"{clock}_due_at", resumed)
        stage.paused_at = None
        _stage_refresh_due(stage, now=now)
    return stage


def stage_record_filing(*, case: ComplaintCase, reference: str, now: datetime) -> TierStage | None:
    """The complainant filed at the current tier; the date interrupts the limitation period."""
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None:
            return None
        stage.external_reference = reference
        stage.filed_at = stage.filed_at or now
        stage.save(update_fields=["external_reference", "filed_at"])
    return stage


def stage_recalculate(*, stage: TierStage, actor: Any, now: datetime) -> bool:
    """Apply the current policy to an open stage, counted from when its clocks started.

    Only a supervisor's explicit request moves a promised deadline; it is recorded in the
    case's timeline with the old and new dates. Paused stages are left alone (their
    remaining time is what was promised); returns False for them and closed stages.
    """
    with transaction.atomic():
        current = _open_stage_locked(stage.case)
        if current is None or current.pk != stage.pk or current.paused_at is not None:
            return False
        stage = current
        terms = policy_terms(tier=stage.tier, urgency=stage.case.urgency)
        before = {
            "first_response": stage.first_response_due_at,
            "update": stage.update_due_at,
            "resolution": stage.resolution_due_at,
        }
        stage.terms = terms.as_json()
        if stage.responded_at is None:
            stage.first_response_due_at = clock_due(terms.first_response, stage.opened_at)
        stage.update_due_at = clock_due(terms.update, stage.update_anchor_at or stage.opened_at)
        stage.resolution_due_at = clock_due(terms.resolution, stage.opened_at)
        _stage_refresh_due(stage, now=now)
        event_append(
            case=stage.case,
            kind=EventKind.DEADLINE_WARNING,
            actor=actor,
            payload={
                "action": "deadlines_recalculated",
                "tier": stage.tier,
                "before": before,
                "after": {
                    "first_response": stage.first_response_due_at,
                    "update": stage.update_due_at,
                    "resolution": stage.resolution_due_at,
                },
            },
            now=now,
        )
    return True


def stage_close_open(*, case: ComplaintCase, reason: str, now: datetime) -> int:
    """Stop the case's clocks: its open stage ends with ``reason``."""
    return TierStage.objects.filter(case=case, closed_at__isnull=True).update(
        closed_at=now, close_reason=reason, next_due_at=None, warn_at=None
    )
