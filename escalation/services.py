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

from .calendar import calendar_current, stage_provisional_from
from .deadlines import (
    CLOCKS,
    DEFAULT_TERMS,
    ClockUnit,
    PolicyTerms,
    clock_due,
    clock_remap,
    clock_resume,
    next_due,
    stage_deadlines,
    warn_at_for,
)
from .models import DeadlinePolicy, TierStage
from .workcalendar import WorkCalendar

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


def stage_fields(
    *, tier: str, terms: PolicyTerms, now: datetime, calendar: WorkCalendar | None = None
) -> dict[str, Any]:
    """The columns of a new stage at ``tier`` opened at ``now`` (all but the case).

    The one stage builder: ``stage_open`` saves one, the engine inserts thousands (it
    builds these once per tier and urgency of a batch). The policy's terms are copied
    onto the stage, so a later policy change never moves a promised deadline; working
    days are counted with the current calendar, and a deadline counted on a day known
    only by rule is marked provisional from that day.
    """
    calendar = calendar or calendar_current()
    deadlines = stage_deadlines(terms=terms, opened_at=now, calendar=calendar)
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
        "provisional_from": deadlines.provisional_from,
    }


def stage_open(*, case: ComplaintCase, tier: str, now: datetime) -> TierStage:
    """Open the case's stage at ``tier``; the current policy is copied onto it."""
    terms = policy_terms(tier=tier, urgency=case.urgency)
    stage = TierStage(case_id=case.pk, **stage_fields(tier=tier, terms=terms, now=now))
    stage.save()
    return stage


def stage_reopen(*, case: ComplaintCase, tier: str, now: datetime) -> TierStage:
    """Open the case's stage at ``tier`` again, with fresh clocks from ``now``.

    A case is at each tier once (the ``stage_once_per_tier`` constraint), so a reopened
    case gets its tier's stage back rather than a second one: the clocks, pause and
    response are those of a stage opened now under the current policy (as ``stage_open``
    builds them); when it was first opened, its filing date and reference are kept.
    Falls back to ``stage_open`` when the case never had a stage at ``tier``.
    """
    with transaction.atomic():
        ComplaintCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
        stage = TierStage.objects.filter(case=case, tier=tier).first()
        if stage is None:
            return stage_open(case=case, tier=tier, now=now)
        fresh = stage_fields(
            tier=tier, terms=policy_terms(tier=tier, urgency=case.urgency), now=now
        )
        for name in (
            "terms",
            "update_anchor_at",
            "first_response_due_at",
            "update_due_at",
            "resolution_due_at",
            "next_due_at",
            "warn_at",
            "provisional_from",
        ):
            setattr(stage, name, fresh[name])
        stage.closed_at = None
        stage.close_reason = ""
        stage.paused_at = None
        stage.responded_at = None
        stage.save()
    return stage


def _stage_refresh_due(
    stage: TierStage, *, now: datetime, calendar: WorkCalendar | None = None
) -> None:
    """Recompute the sweep's columns and the provisional mark from the clocks; save them."""
    stage.provisional_from = stage_provisional_from(stage, calendar or calendar_current())
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
            "provisional_from",
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
            stage.update_due_at = clock_due(terms.update, now, calendar_current())
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
        calendar = calendar_current()
        for clock in ("first_response", "update", "resolution"):
            due = getattr(stage, f"{clock}_due_at")
            rule = terms.rule(clock)
            if due is not None and rule is not None:
                resumed = clock_resume(
                    unit=rule.unit,
                    due=due,
                    paused_at=stage.paused_at,
                    now=now,
                    minimum=minimum,
                    calendar=calendar,
                )
                setattr(stage, f"{clock}_due_at", resumed)
        stage.paused_at = None
        _stage_refresh_due(stage, now=now, calendar=calendar)
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
        calendar = calendar_current()
        if stage.responded_at is None:
            stage.first_response_due_at = clock_due(terms.first_response, stage.opened_at, calendar)
        stage.update_due_at = clock_due(
            terms.update, stage.update_anchor_at or stage.opened_at, calendar
        )
        stage.resolution_due_at = clock_due(terms.resolution, stage.opened_at, calendar)
        _stage_refresh_due(stage, now=now, calendar=calendar)
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


# --- recalculation when an arrangement arrives -------------------------------------------


def calendar_recheck(*, now: datetime, actor: Any = None) -> int:
    """Recount the provisional stages' working-day clocks with the current calendar.

    Runs after staff enter a notice and daily from beat (a chinesecalendar upgrade brings
    a year's arrangement with no other signal). Returns the number of stages whose
    deadlines moved; each gets a timeline event with the old and new dates.
    """
    calendar = calendar_current()
    ids = list(
        TierStage.objects.filter(closed_at__isnull=True, provisional_from__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(stage_recheck(stage_id=pk, calendar=calendar, now=now, actor=actor) for pk in ids)


def stage_recheck(*, stage_id: int, calendar: WorkCalendar, now: datetime, actor: Any) -> bool:
    """Move one stage's working-day clocks onto ``calendar``; True if a due time moved.

    Only the time counted from the first provisional day is recounted (with the rule
    calendar it was counted with, onto the new one), so a pause before then and the
    hours clocks stay as they were. Locks the case row, then the stage, as every writer.
    """
    minimum = timedelta(minutes=settings.ESCALATION_RESUME_MINIMUM_MINUTES)
    counted_with = WorkCalendar.rule_only()
    with transaction.atomic():
        case_id = TierStage.objects.filter(pk=stage_id).values_list("case_id", flat=True).first()
        if case_id is None:
            return False
        ComplaintCase.objects.select_for_update().filter(pk=case_id).values_list("pk").get()
        stage = (
            TierStage.objects.select_related("case")
            .filter(pk=stage_id, closed_at__isnull=True, provisional_from__isnull=False)
            .first()
        )
        if stage is None or stage.provisional_from is None:
            return False
        since = stage.provisional_from
        if not calendar.year_published(since.year):
            return False
        terms = PolicyTerms.from_json(stage.terms)
        before = {c: getattr(stage, f"{c}_due_at") for c in CLOCKS}
        after = dict(before)
        for clock in CLOCKS:
            rule, due = terms.rule(clock), before[clock]
            if rule is None or due is None or rule.unit != ClockUnit.WORKING_DAYS:
                continue
            moved = clock_remap(due=due, since=since, counted_with=counted_with, calendar=calendar)
            if moved <= now < due:
                moved = now + minimum
            after[clock] = moved
        for clock in CLOCKS:
            setattr(stage, f"{clock}_due_at", after[clock])
        _stage_refresh_due(stage, now=now, calendar=calendar)
        if after != before:
            event_append(
                case=stage.case,
                kind=EventKind.DEADLINES_RECALCULATED,
                actor=actor,
                payload={
                    "action": "deadlines_recalculated",
                    "reason": "calendar",
                    "tier": stage.tier,
                    "before": before,
                    "after": after,
                    "provisional": stage.provisional,
                },
                now=now,
            )
    return after != before
