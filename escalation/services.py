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
from complaints.errors import InvalidInput, InvalidTransition, StateConflict
from complaints.models import ComplaintCase
from complaints.tiers import Tier
from complaints.timeline import (
    event_append,
)

from . import messages
from .calendar import calendar_current, stage_provisional_from
from .deadlines import (
    CLOCKS,
    DEFAULT_TERMS,
    ClockUnit,
    PolicyTerms,
    StageDeadlines,
    channel_terms,
    clock_due,
    clock_remap,
    clock_resume,
    next_due,
    outside_filing_first,
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


def resume_minimum() -> timedelta:
    return timedelta(minutes=settings.ESCALATION_RESUME_MINIMUM_MINUTES)


def stage_fields(
    *,
    tier: str,
    terms: PolicyTerms,
    now: datetime,
    calendar: WorkCalendar | None = None,
    payment_method: str = "",
) -> dict[str, Any]:
    """The columns of a new stage at ``tier`` opened at ``now`` (all but the case).

    The one stage builder: ``stage_open`` saves one, the engine inserts thousands (it
    builds these once per tier, urgency and payment channel of a batch). The policy's
    terms, fitted to the order's payment channel, are copied onto the stage, so a later
    policy change never moves a promised deadline; working days are counted with the
    current calendar, and a deadline counted on a day known only by rule is marked
    provisional from that day. At a tier whose clocks are an outside body's
    (``outside_filing_first``) no escalation clock runs until the complainant records
    the filing; a reminder clock (``file_by_at``) runs instead.
    """
    calendar = calendar or calendar_current()
    terms = channel_terms(
        terms,
        tier=tier,
        payment_method=payment_method,
        other_hours=settings.ESCALATION_PAYMENT_OTHER_HOURS,
    )
    file_by_at = None
    if outside_filing_first(tier, payment_method):
        deadlines = StageDeadlines(None, None, None)
        file_by_at = now + timedelta(days=settings.ESCALATION_OUTSIDE_FILE_WITHIN_DAYS)
    else:
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
        "file_by_at": file_by_at,
    }


def stage_open(*, case: ComplaintCase, tier: str, now: datetime) -> TierStage:
    """Open the case's stage at ``tier``; the current policy is copied onto it."""
    terms = policy_terms(tier=tier, urgency=case.urgency)
    fields = stage_fields(tier=tier, terms=terms, now=now, payment_method=case.order.payment_method)
    stage = TierStage(case_id=case.pk, **fields)
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
            "accepted_at",
            "fulfilment_due_at",
            "file_by_at",
            "filed_at",
            "external_reference",
            "outside_accepted_at",
            "outside_expires_at",
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
        if terms.update is not None and stage.paused_at is None:  # a paused clock stands
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


def stage_clocks_resume(stage: TierStage, *, now: datetime, calendar: WorkCalendar) -> None:
    """Give the paused ``stage``'s clocks back the time they had left (at least the resume
    minimum) and end any accepted promise; the caller saves (``_stage_refresh_due``).

    Shared by a resume (an answer to a request for evidence, staff) and a promise that
    was not kept (the engine): both return the case to the ladder where it stood.
    """
    if stage.paused_at is not None:
        terms = PolicyTerms.from_json(stage.terms)
        for clock in CLOCKS:
            due = getattr(stage, f"{clock}_due_at")
            rule = terms.rule(clock)
            if due is not None and rule is not None:
                resumed = clock_resume(
                    unit=rule.unit,
                    due=due,
                    paused_at=stage.paused_at,
                    now=now,
                    minimum=resume_minimum(),
                    calendar=calendar,
                )
                setattr(stage, f"{clock}_due_at", resumed)
    stage.paused_at = None
    stage.accepted_at = None
    stage.fulfilment_due_at = None


def stage_resume(*, case: ComplaintCase, now: datetime) -> TierStage | None:
    """Restart the clocks with the time they had left (at least the resume minimum)."""
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None or stage.paused_at is None:
            return stage
        calendar = calendar_current()
        stage_clocks_resume(stage, now=now, calendar=calendar)
        _stage_refresh_due(stage, now=now, calendar=calendar)
    return stage


def stage_accept(
    *, case: ComplaintCase, now: datetime, promised_by: datetime | None = None
) -> TierStage:
    """The complainant accepted the answer's promise: the tier's clocks stand still and
    the promise's own clock runs to ``promised_by`` (the stage's resolution deadline, or
    its next, when the answer named no date; at least the resume minimum from now).

    Implemented as a pause with ``accepted_at`` set, so the sweep's partial index and
    claims, which skip paused stages, cannot escalate it; the engine's fulfilment pass
    (``engine.claim_fulfilment_due``) picks it up when the date passes.
    """
    if promised_by is not None and promised_by <= now:
        raise InvalidInput(fields={"promised_by": [str(messages.PROMISE_IN_PAST)]})
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None or stage.accepted_at is not None:
            raise InvalidTransition()
        due = promised_by or stage.resolution_due_at or stage.next_due_at
        if due is None:
            due = now + timedelta(hours=case.demand_within_hours)
        stage.accepted_at = now
        stage.fulfilment_due_at = max(due, now + resume_minimum())
        if stage.paused_at is None:
            stage.paused_at = now
        _stage_refresh_due(stage, now=now)
    return stage


def stage_record_filing(
    *,
    case: ComplaintCase,
    reference: str,
    now: datetime,
    filed_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> TierStage | None:
    """The complainant filed at the current tier; the date interrupts the limitation period.

    At an outside tier the first recorded filing starts the outside body's clock:
    12315's 7 working days to accept or refuse count from ``filed_at`` (市场监督管理投诉
    举报处理暂行办法 art. 14); an Alipay complaint runs to the ``expires_at`` Alipay shows
    (the configured hours from the filing when none was given). A clock that would
    already have run out gets the resume minimum, so recording never escalates at once.
    """
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None:
            return None
        calendar = calendar_current()
        terms = PolicyTerms.from_json(stage.terms)
        first_filing = stage.filed_at is None
        stage.external_reference = reference
        stage.filed_at = stage.filed_at or filed_at or now
        floor = now + resume_minimum()
        if first_filing and outside_filing_first(stage.tier, case.order.payment_method):
            stage.file_by_at = None
            if stage.tier == Tier.WATCHDOG:
                if stage.responded_at is None and stage.outside_accepted_at is None:
                    due = clock_due(terms.first_response, stage.filed_at, calendar)
                    stage.first_response_due_at = max(due, floor) if due else None
            elif expires_at is None:
                due = clock_due(terms.resolution, stage.filed_at, calendar)
                stage.resolution_due_at = max(due, floor) if due else None
        if expires_at is not None:
            if stage.tier != Tier.PAYMENT:
                raise StateConflict(fields={"expires_at": [str(messages.EXPIRY_PAYMENT_ONLY)]})
            stage.outside_expires_at = expires_at
            stage.resolution_due_at = max(expires_at, floor)
        _stage_refresh_due(stage, now=now, calendar=calendar)
    return stage


def stage_record_outside_acceptance(
    *, case: ComplaintCase, accepted_at: datetime, now: datetime
) -> TierStage:
    """12315 accepted the complaint: its accept clock stops and the 45-working-day
    mediation clock runs from ``accepted_at`` (市场监督管理投诉举报处理暂行办法 art. 21).

    Only at the watchdog tier; an acceptance recorded without a filing dates the filing
    to the acceptance (it cannot have come later).
    """
    with transaction.atomic():
        stage = _open_stage_locked(case)
        if stage is None:
            raise InvalidTransition()
        if stage.tier != Tier.WATCHDOG:
            raise StateConflict(fields={"accepted_at": [str(messages.ACCEPTANCE_WATCHDOG_ONLY)]})
        calendar = calendar_current()
        terms = PolicyTerms.from_json(stage.terms)
        stage.filed_at = stage.filed_at or accepted_at
        stage.file_by_at = None
        stage.outside_accepted_at = accepted_at
        stage.responded_at = stage.responded_at or accepted_at
        stage.first_response_due_at = None
        due = clock_due(terms.resolution, accepted_at, calendar)
        stage.resolution_due_at = max(due, now + resume_minimum()) if due else None
        _stage_refresh_due(stage, now=now, calendar=calendar)
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
        terms = channel_terms(
            terms,
            tier=stage.tier,
            payment_method=stage.case.order.payment_method,
            other_hours=settings.ESCALATION_PAYMENT_OTHER_HOURS,
        )
        stage.terms = terms.as_json()
        waits_for_filing = outside_filing_first(stage.tier, stage.case.order.payment_method)
        if stage.responded_at is None and not (waits_for_filing and stage.filed_at is None):
            stage.first_response_due_at = clock_due(
                terms.first_response, stage.clock_start("first_response"), calendar
            )
        stage.update_due_at = clock_due(terms.update, stage.clock_start("update"), calendar)
        if stage.outside_expires_at is not None:
            stage.resolution_due_at = stage.outside_expires_at
        elif not waits_for_filing or (
            stage.tier == Tier.WATCHDOG and stage.outside_accepted_at is not None
        ):
            stage.resolution_due_at = clock_due(
                terms.resolution, stage.clock_start("resolution"), calendar
            )
        elif stage.filed_at is not None and stage.tier == Tier.PAYMENT:
            stage.resolution_due_at = clock_due(terms.resolution, stage.filed_at, calendar)
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
        closed_at=now,
        close_reason=reason,
        next_due_at=None,
        warn_at=None,
        fulfilment_due_at=None,
        file_by_at=None,
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
