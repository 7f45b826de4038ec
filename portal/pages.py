"""Reads for the complainant's pages: their cases, each with its clock and next step.

Every read here is a fixed number of queries, however many cases, events or evidence
items there are (tests/portal/test_query_counts.py holds it to that).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from casework.nextstep import next_step
from casework.timeline import event_words
from complaints.access import cases_visible_to
from complaints.errors import NotFound
from complaints.models import CaseEvent, ComplaintCase
from complaints.tiers import LADDER, tier_rank
from escalation.models import TierStage
from escalation.waiting import Waiting, waiting_on
from evidence.models import EvidenceItem


def my_cases(user: Any) -> QuerySet[ComplaintCase]:
    """The cases ``user`` filed, with their open stage prefetched (two queries in all).

    Staff see other cases in the admin; the portal shows everyone only their own.
    """
    return (
        cases_visible_to(user)
        .filter(complainant=user)
        .prefetch_related(
            Prefetch(
                "stages",
                queryset=TierStage.objects.filter(closed_at__isnull=True),
                to_attr="open_stages",
            )
        )
    )


def my_case_get(user: Any, *, reference: str) -> ComplaintCase:
    """The user's own case; NotFound for anyone else's (no existence leak)."""
    case = my_cases(user).filter(reference=reference).first()
    if case is None:
        raise NotFound()
    return case


@dataclass
class Clock:
    due_at: datetime | None
    paused: bool
    overdue: bool
    seconds_left: int | None
    promise: bool = False  # the countdown is an accepted promise's, not the tier's


def clock_of(stage: TierStage | None, *, now: datetime) -> Clock:
    if stage is None:
        return Clock(None, False, False, None)
    if stage.accepted_at is not None and stage.fulfilment_due_at is not None:
        left = int((stage.fulfilment_due_at - now).total_seconds())
        return Clock(stage.fulfilment_due_at, False, left < 0, left, promise=True)
    if stage.paused_at is not None:
        return Clock(stage.next_due_at, True, False, None)
    if stage.next_due_at is None:
        return Clock(None, False, False, None)
    left = int((stage.next_due_at - now).total_seconds())
    return Clock(stage.next_due_at, False, left < 0, left)


def duration_text(seconds: int) -> str:
    """“2 d 3 h”, “3 h 12 min”, “45 min”: precise enough to act on, short enough for a phone."""
    delta = timedelta(seconds=abs(seconds))
    days, rest = delta.days, delta.seconds
    hours, minutes = rest // 3600, (rest % 3600) // 60
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": max(minutes, 0)}


@dataclass
class CaseRow:
    case: ComplaintCase
    stage: TierStage | None
    clock: Clock
    next_step: str
    tier_rank: int
    tier_count: int = len(LADDER)
    countdown: str = ""
    waiting: Waiting = Waiting.NOBODY


def case_row(case: ComplaintCase, *, now: datetime) -> CaseRow:
    stages = getattr(case, "open_stages", None)
    stage = stages[0] if stages else None
    clock = clock_of(stage, now=now)
    countdown = ""
    if clock.seconds_left is not None:
        text = duration_text(clock.seconds_left)
        countdown = (
            _("overdue by %(time)s") % {"time": text}
            if clock.overdue
            else _("%(time)s left") % {"time": text}
        )
    return CaseRow(
        case=case,
        stage=stage,
        clock=clock,
        next_step=next_step(case, stage),
        tier_rank=tier_rank(case.tier),
        countdown=countdown,
        waiting=waiting_on(case, stage),
    )


def case_rows(user: Any, *, now: datetime) -> list[CaseRow]:
    return [case_row(case, now=now) for case in my_cases(user)]


@dataclass
class CasePage:
    row: CaseRow
    events: list[CaseEvent] = field(default_factory=list)
    stages: list[TierStage] = field(default_factory=list)
    items: list[EvidenceItem] = field(default_factory=list)


def case_page(user: Any, *, reference: str, now: datetime) -> CasePage:
    """Everything the case page shows, in five queries whatever the case's size."""
    case = my_case_get(user, reference=reference)
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("-seq"))
    for event in events:
        event_words(event)
    stages = list(TierStage.objects.filter(case=case).order_by("opened_at"))
    items = list(EvidenceItem.objects.filter(bundle__case=case).order_by("uploaded_at", "pk"))
    return CasePage(row=case_row(case, now=now), events=events, stages=stages, items=items)
