"""The escalation engine: claiming due cases and escalating their stages, as data.

Lock order, as everywhere: the case row, then its stage. Claiming takes case rows with
``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent batches (two Celery workers, or a
sweep beside a staff member) split the work instead of queueing on each other; the
stages are re-read after locking and closed only while still open, so each overdue stage
escalates exactly once however many batches run.

The engine writes what escalation owns (stages, the case's tier and flag, timeline
events) in a fixed number of queries per batch, and returns what happened
(``Escalated``, ``Warned``). It decides no emails: casework turns the records into
notifications in the same transaction (casework/sweep.py), the layer that may know
about both.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection

from complaints.bulk import db_datetime, db_json, insert_rows
from complaints.choices import OPEN_STATUSES, CaseStatus, EventKind
from complaints.errors import ConcurrentChange
from complaints.models import ComplaintCase
from complaints.sql import ids_in
from complaints.tiers import tier_next
from complaints.timeline import EventEntry, event_append, events_append
from complaints.transitions import case_transition

from .calendar import calendar_current
from .deadlines import PolicyTerms
from .models import StageCloseReason, TierStage
from .services import _stage_refresh_due, policy_terms_all, stage_clocks_resume, stage_fields


class Escalated(NamedTuple):
    """A stage that moved up (``to_tier``), or, at the last tier, was flagged for staff
    (``to_tier`` None: "ladder exhausted"); ``due_at`` is the deadline that ran out."""

    case_id: int
    stage_id: int
    from_tier: str
    to_tier: str | None
    due_at: datetime | None
    complainant_email: str
    assignee_id: int | None
    assignee_email: str


class Warned(NamedTuple):
    """A stage whose ``clocks`` run out at ``due_at`` (within the warning lead)."""

    case_id: int
    stage_id: int
    tier: str
    clocks: tuple[str, ...]
    due_at: datetime
    complainant_email: str
    assignee_id: int | None
    assignee_email: str


def _claim(*, lookups: dict[str, Any], order_by: str, limit: int) -> list[int]:
    cases = ComplaintCase.objects.filter(**lookups)
    if connection.features.has_select_for_update_skip_locked:
        cases = cases.select_for_update(skip_locked=True, of=("self",))
    return list(cases.order_by(order_by).values_list("pk", flat=True)[:limit])


def claim_due(*, now: datetime, limit: int) -> list[int]:
    """Lock up to ``limit`` cases with an overdue stage, most overdue first; rows another
    transaction holds are skipped. Call inside the transaction that escalates them.

    SQLite has no row locks: it serialises writers, which gives the same guarantee.
    """
    return _claim(
        lookups={
            "status__in": OPEN_STATUSES,
            "stages__closed_at__isnull": True,
            "stages__paused_at__isnull": True,
            "stages__next_due_at__lte": now,
        },
        order_by="stages__next_due_at",
        limit=limit,
    )


def claim_warnings(*, now: datetime, limit: int) -> list[int]:
    """Lock up to ``limit`` cases with a stage to warn about (skip locked, as ``claim_due``)."""
    return _claim(
        lookups={
            "status__in": OPEN_STATUSES,
            "stages__closed_at__isnull": True,
            "stages__paused_at__isnull": True,
            "stages__warn_at__lte": now,
            "stages__next_due_at__gt": now,
        },
        order_by="stages__warn_at",
        limit=limit,
    )


def case_lock(*, case_id: int) -> tuple[str, str]:
    """Lock one case row, waiting for it (a staff escalation must not be skipped); its
    status and tier as of the lock, for the caller's checks."""
    status, tier = (
        ComplaintCase.objects.select_for_update()
        .filter(pk=case_id)
        .values_list("status", "tier")
        .get()
    )
    return status, tier


def due_count(*, now: datetime) -> int:
    """How many open, running stages are overdue at ``now`` (no locks; the index on
    ``next_due_at`` makes it cheap). Only for sizing a fan-out: claiming decides."""
    return TierStage.objects.filter(
        closed_at__isnull=True,
        paused_at__isnull=True,
        next_due_at__lte=now,
        case__status__in=OPEN_STATUSES,
    ).count()


def sweep_plan(*, now: datetime, limit: int = 10_000) -> list[dict[str, Any]]:
    """What a sweep at ``now`` would escalate, read without locks and without changes."""
    stages = (
        TierStage.objects.filter(
            closed_at__isnull=True,
            paused_at__isnull=True,
            next_due_at__lte=now,
            case__status__in=OPEN_STATUSES,
        )
        .order_by("next_due_at")
        .values("case__reference", "tier", "next_due_at")[:limit]
    )
    return [
        {
            "case": row["case__reference"],
            "tier": row["tier"],
            "next_tier": tier_next(row["tier"]),
            "due": row["next_due_at"],
        }
        for row in stages
    ]


def _db_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return db_datetime(value)
    if isinstance(value, dict):
        return db_json(value)
    return value


_STAGE_DEFAULTS = {"external_reference": "", "close_reason": ""}


def escalate_claimed(
    *,
    case_ids: Sequence[int],
    now: datetime,
    actor_id: int | None = None,
    note: str = "",
    due_only: bool = True,
    terms: dict[tuple[str, str], PolicyTerms] | None = None,
) -> list[Escalated]:
    """Escalate the open stages of ``case_ids``, whose rows the caller has locked.

    ``due_only`` (the sweep) takes only running, overdue stages; a staff escalation
    (``actor_id``, ``note`` their words) takes the open stage whatever its clock. Set-based:
    a fixed number of queries whatever the batch size. The close is conditional on the
    stage still being open, and raises ``ConcurrentChange`` (rolling the batch back) if
    any was not, so a stage never escalates twice. Last-tier stages are flagged for
    staff instead, and their check-in clock stops until someone acts.
    """
    stages_qs = TierStage.objects.filter(
        ids_in(TierStage, "case_id", list(case_ids)),
        closed_at__isnull=True,
        case__status__in=OPEN_STATUSES,
    )
    if due_only:
        stages_qs = stages_qs.filter(paused_at__isnull=True, next_due_at__lte=now)
    stages = list(
        stages_qs.values_list(
            "pk",
            "case_id",
            "tier",
            "next_due_at",
            "case__urgency",
            "case__order__payment_method",
            "case__complainant__email",
            "case__assigned_to_id",
            "case__assigned_to__email",
        )
    )
    if not stages:
        return []
    terms = terms if terms is not None else policy_terms_all()
    reason = str(StageCloseReason.ESCALATED_BY_STAFF if actor_id else StageCloseReason.EXPIRED)
    stage_rows: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    stage_columns: tuple[str, ...] = ()
    close_ids: list[int] = []
    flag_stage_ids: list[int] = []
    flag_case_ids: list[int] = []
    to_tier: dict[str, list[int]] = defaultdict(list)
    new_stages: list[tuple[Any, ...]] = []
    events: list[EventEntry] = []
    done: list[Escalated] = []
    for row in stages:
        stage_id, case_id, tier, due_at, urgency, channel = row[:6]
        to_complainant, assignee_id, to_staff = row[6:]
        nxt = tier_next(tier)
        done.append(
            Escalated(
                case_id,
                stage_id,
                tier,
                None if nxt is None else str(nxt),
                due_at,
                to_complainant or "",
                assignee_id,
                to_staff or "",
            )
        )
        if nxt is None:
            flag_stage_ids.append(stage_id)
            flag_case_ids.append(case_id)
            events.append(EventEntry(case_id, EventKind.LADDER_EXHAUSTED, {"tier": tier}))
            continue
        close_ids.append(stage_id)
        to_tier[str(nxt)].append(case_id)
        key = (str(nxt), urgency, channel)
        if key not in stage_rows:
            built = stage_fields(
                tier=str(nxt), terms=terms[(str(nxt), urgency)], now=now, payment_method=channel
            )
            fields = {**built, **_STAGE_DEFAULTS}
            stage_columns = ("case_id", *fields)
            stage_rows[key] = tuple(_db_value(v) for v in fields.values())
        new_stages.append((case_id, *stage_rows[key]))
        payload = {"from_tier": tier, "to_tier": str(nxt), "reason": reason, "note": note}
        events.append(EventEntry(case_id, EventKind.ESCALATED, payload, actor_id))
    if close_ids:
        closed = TierStage.objects.filter(
            ids_in(TierStage, "id", close_ids), closed_at__isnull=True
        ).update(closed_at=now, close_reason=reason, next_due_at=None, warn_at=None)
        if closed != len(close_ids):
            raise ConcurrentChange()
        for tier, ids in to_tier.items():
            ComplaintCase.objects.filter(ids_in(ComplaintCase, "id", ids)).update(
                tier=tier, updated_at=now
            )
        insert_rows(TierStage._meta.db_table, stage_columns, new_stages)
    if flag_stage_ids:
        TierStage.objects.filter(ids_in(TierStage, "id", flag_stage_ids)).update(
            next_due_at=None, warn_at=None
        )
        ComplaintCase.objects.filter(ids_in(ComplaintCase, "id", flag_case_ids)).update(
            needs_staff_attention=True, updated_at=now
        )
    events_append(events, now=now)
    return done


def warn_claimed(*, case_ids: Sequence[int], now: datetime) -> list[Warned]:
    """Record the deadline warnings of claimed cases; each stage's ``warn_at`` is then
    cleared, so a clock warns once (until it is moved and re-armed)."""
    stages = list(
        TierStage.objects.filter(
            ids_in(TierStage, "case_id", list(case_ids)),
            closed_at__isnull=True,
            paused_at__isnull=True,
            warn_at__lte=now,
            next_due_at__gt=now,
            case__status__in=OPEN_STATUSES,
        ).values_list(
            "pk",
            "case_id",
            "tier",
            "next_due_at",
            "first_response_due_at",
            "update_due_at",
            "resolution_due_at",
            "case__complainant__email",
            "case__assigned_to_id",
            "case__assigned_to__email",
        )
    )
    if not stages:
        return []
    warned: list[Warned] = []
    events: list[EventEntry] = []
    for row in stages:
        stage_id, case_id, tier, due_at, first, update, resolution = row[:7]
        if due_at is None:  # not selected (next_due_at > now), but the column is nullable
            continue
        clocks = tuple(
            clock
            for clock, at in (
                ("first_response", first),
                ("update", update),
                ("resolution", resolution),
            )
            if at == due_at
        )
        warned.append(
            Warned(case_id, stage_id, tier, clocks, due_at, row[7] or "", row[8], row[9] or "")
        )
        payload = {"tier": tier, "clocks": list(clocks), "due": due_at.isoformat()}
        events.append(EventEntry(case_id, EventKind.DEADLINE_WARNING, payload))
    TierStage.objects.filter(ids_in(TierStage, "id", [w.stage_id for w in warned])).update(
        warn_at=None
    )
    events_append(events, now=now)
    return warned


# --- the promise and filing clocks -------------------------------------------------------


class FulfilmentMissed(NamedTuple):
    """An accepted promise whose date (``promised_by``) passed unconfirmed: the stage's
    clocks run again with the time they had left."""

    case_id: int
    stage_id: int
    tier: str
    promised_by: datetime
    complainant_email: str


class FilingReminded(NamedTuple):
    """An outside tier the complainant has not recorded a filing at by ``due_at``."""

    case_id: int
    stage_id: int
    tier: str
    due_at: datetime
    complainant_email: str


def claim_fulfilment_due(*, now: datetime, limit: int) -> list[int]:
    """Lock up to ``limit`` cases whose accepted promise's date has passed (skip locked)."""
    return _claim(
        lookups={
            "status__in": OPEN_STATUSES,
            "stages__closed_at__isnull": True,
            "stages__accepted_at__isnull": False,
            "stages__fulfilment_due_at__lte": now,
        },
        order_by="stages__fulfilment_due_at",
        limit=limit,
    )


def fulfilment_missed_claimed(*, case_ids: Sequence[int], now: datetime) -> list[FulfilmentMissed]:
    """Return the claimed cases whose promise was not kept to the ladder where they stood.

    Each stage's clocks resume with the time they had left at acceptance (at least the
    resume minimum), the promise ends and the case goes back to in progress, with one
    FULFILMENT_MISSED event. The stages are re-read after the caller's lock, so a case
    the complainant confirmed meanwhile (resolved, its stage closed) is left alone and a
    promise is missed once. One row at a time: promises are few, clocks are per stage.
    """
    stages = list(
        TierStage.objects.select_related("case", "case__complainant").filter(
            ids_in(TierStage, "case_id", list(case_ids)),
            closed_at__isnull=True,
            accepted_at__isnull=False,
            fulfilment_due_at__lte=now,
            case__status__in=OPEN_STATUSES,
        )
    )
    if not stages:
        return []
    calendar = calendar_current()
    missed: list[FulfilmentMissed] = []
    for stage in stages:
        promised_by = stage.fulfilment_due_at
        if promised_by is None:  # selected by fulfilment_due_at <= now; the column is nullable
            continue
        case = stage.case
        stage_clocks_resume(stage, now=now, calendar=calendar)
        _stage_refresh_due(stage, now=now, calendar=calendar)
        payload = {"tier": stage.tier, "promised_by": promised_by}
        if case.status == CaseStatus.RESPONDED:
            case_transition(
                case=case,
                to_status=CaseStatus.IN_PROGRESS,
                event_kind=EventKind.FULFILMENT_MISSED,
                payload=payload,
                now=now,
            )
        else:
            event_append(case=case, kind=EventKind.FULFILMENT_MISSED, payload=payload, now=now)
        missed.append(
            FulfilmentMissed(
                case.pk, stage.pk, stage.tier, promised_by, case.complainant.email or ""
            )
        )
    return missed


def claim_file_reminders(*, now: datetime, limit: int) -> list[int]:
    """Lock up to ``limit`` cases whose outside filing is overdue (skip locked)."""
    return _claim(
        lookups={
            "status__in": OPEN_STATUSES,
            "stages__closed_at__isnull": True,
            "stages__file_by_at__lte": now,
        },
        order_by="stages__file_by_at",
        limit=limit,
    )


def file_reminders_claimed(*, case_ids: Sequence[int], now: datetime) -> list[FilingReminded]:
    """Record the filing reminders of claimed cases and stop their reminder clocks.

    A reminder, never an escalation: the outside body's clock has not started, so there
    is nothing to escalate yet. ``file_by_at`` is cleared, so each stage reminds once.
    """
    rows = list(
        TierStage.objects.filter(
            ids_in(TierStage, "case_id", list(case_ids)),
            closed_at__isnull=True,
            file_by_at__lte=now,
            case__status__in=OPEN_STATUSES,
        ).values_list("pk", "case_id", "tier", "file_by_at", "case__complainant__email")
    )
    reminded = [
        FilingReminded(case_id, stage_id, tier, due, email or "")
        for stage_id, case_id, tier, due, email in rows
        if due is not None
    ]
    if not reminded:
        return []
    TierStage.objects.filter(ids_in(TierStage, "id", [r.stage_id for r in reminded])).update(
        file_by_at=None
    )
    events_append(
        [
            EventEntry(r.case_id, EventKind.FILING_REMINDER, {"tier": r.tier, "due": r.due_at})
            for r in reminded
        ],
        now=now,
    )
    return reminded
