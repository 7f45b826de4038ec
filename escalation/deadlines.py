"""Pure deadline arithmetic: given a policy and a moment, when is each clock due.

Nothing here reads the clock or the database; callers pass ``now`` and the working-day
calendar (``escalation.workcalendar.WorkCalendar``; services build it from the notices
staff entered with ``escalation.calendar.calendar_current``). Without one, the library
and rule layers alone are used. A working-day clock that counted a day only the
statutory rule knows (a year whose arrangement is not published yet) is *provisional*.
"""

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import PaymentMethod, Urgency
from complaints.tiers import Tier

from .workcalendar import DayInfo, WorkCalendar, library_years

logger = logging.getLogger(__name__)

CLOCKS: tuple[str, ...] = ("first_response", "update", "resolution")


class ClockUnit(models.TextChoices):
    HOURS = "hours", _("calendar hours")
    WORKING_DAYS = "working_days", _("working days (mainland China calendar)")


@dataclass(frozen=True)
class ClockRule:
    amount: int
    unit: str = ClockUnit.HOURS

    def as_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "unit": str(self.unit)}


@dataclass(frozen=True)
class PolicyTerms:
    """The length of each clock; ``None`` for a clock the tier does not run."""

    first_response: ClockRule | None
    update: ClockRule | None
    resolution: ClockRule | None

    def rule(self, clock: str) -> ClockRule | None:
        return getattr(self, clock)

    def as_json(self) -> dict[str, Any]:
        return {c: (r.as_json() if (r := self.rule(c)) else None) for c in CLOCKS}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "PolicyTerms":
        data = data or {}
        rules = {
            c: ClockRule(int(data[c]["amount"]), data[c]["unit"]) if data.get(c) else None
            for c in CLOCKS
        }
        return cls(**rules)


H, WD = ClockUnit.HOURS, ClockUnit.WORKING_DAYS

# DOMAIN.md's figures; the DeadlinePolicy rows start from these and supervisors edit them.
DEFAULT_TERMS: dict[tuple[str, str], PolicyTerms] = {
    (Tier.PLATFORM, Urgency.NORMAL): PolicyTerms(
        ClockRule(24, H), ClockRule(48, H), ClockRule(7, WD)
    ),
    (Tier.PLATFORM, Urgency.URGENT): PolicyTerms(
        ClockRule(2, H), ClockRule(48, H), ClockRule(7, WD)
    ),
    (Tier.WATCHDOG, Urgency.NORMAL): PolicyTerms(ClockRule(7, WD), None, ClockRule(45, WD)),
    (Tier.WATCHDOG, Urgency.URGENT): PolicyTerms(ClockRule(7, WD), None, ClockRule(45, WD)),
    (Tier.PAYMENT, Urgency.NORMAL): PolicyTerms(ClockRule(24, H), None, ClockRule(72, H)),
    (Tier.PAYMENT, Urgency.URGENT): PolicyTerms(ClockRule(24, H), None, ClockRule(72, H)),
    (Tier.LEGAL, Urgency.NORMAL): PolicyTerms(None, ClockRule(14 * 24, H), None),
    (Tier.LEGAL, Urgency.URGENT): PolicyTerms(None, ClockRule(7 * 24, H), None),
}


def outside_filing_first(tier: str, payment_method: str) -> bool:
    """Whether the tier's clocks are an outside body's, started by the complainant's filing.

    12315's 7-working-day accept clock starts when the complaint reaches 12315
    (市场监督管理投诉举报处理暂行办法 art. 14), and an Alipay transaction complaint carries
    the expiry Alipay gives it; the portal learns either only when the complainant records
    the filing. WeChat Pay's published rules count from the complaint too, but their fixed
    24 h / 72 h are close enough to the escalation that they start at the stage's opening.
    """
    return tier == Tier.WATCHDOG or (
        tier == Tier.PAYMENT and payment_method == PaymentMethod.ALIPAY
    )


def channel_terms(
    terms: PolicyTerms, *, tier: str, payment_method: str, other_hours: int
) -> PolicyTerms:
    """The payment tier's terms for the order's channel; other tiers' terms unchanged.

    WeChat Pay: the policy's (its published consumer-complaint rules: the merchant's
    first reply within 24 h, resolved within 72 h). Alipay: each complaint's own expiry
    (recorded with the filing), ``other_hours`` when none was recorded. Channels that
    publish no deadline (bank cards, balances): ``other_hours`` to resolution.
    """
    if tier != Tier.PAYMENT or payment_method == PaymentMethod.WECHAT_PAY:
        return terms
    return PolicyTerms(None, None, ClockRule(other_hours, ClockUnit.HOURS))


def calendar_last_year() -> int:
    """The last year the installed chinesecalendar holds the published arrangement of."""
    return library_years()[-1]


def calendar_first_year() -> int:
    return library_years()[0]


@functools.cache
def calendar_default() -> WorkCalendar:
    """The library and rule layers only, for callers that have no notices at hand."""
    return WorkCalendar()


def _cal(calendar: WorkCalendar | None) -> WorkCalendar:
    return calendar if calendar is not None else calendar_default()


def is_working_day(day: date, calendar: WorkCalendar | None = None) -> bool:
    """Mainland China working day: holidays excluded, make-up working days (调休) included."""
    return _cal(calendar).is_working_day(day)


def _tz() -> Any:
    return timezone.get_default_timezone()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_tz())


def working_days_after(
    start: datetime, days: int, calendar: WorkCalendar | None = None
) -> datetime:
    """The end (midnight) of the ``days``-th working day after ``start``'s local date.

    The starting day is not counted and a period ends at the end of its last day, as the
    Civil Code counts periods (民法典 art. 201, 203).
    """
    cal = _cal(calendar)
    day = start.astimezone(_tz()).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if cal.is_working_day(day):
            counted += 1
    return _midnight(day + timedelta(days=1))


def working_seconds_between(
    start: datetime, end: datetime, calendar: WorkCalendar | None = None
) -> float:
    """Seconds between two moments that fall on working days (negative if end < start)."""
    cal = _cal(calendar)
    if end < start:
        return -working_seconds_between(end, start, cal)
    total = 0.0
    day = start.astimezone(_tz()).date()
    while _midnight(day) < end:
        day_start, day_end = _midnight(day), _midnight(day + timedelta(days=1))
        if cal.is_working_day(day):
            overlap = min(end, day_end) - max(start, day_start)
            total += max(overlap.total_seconds(), 0.0)
        day += timedelta(days=1)
    return total


def working_seconds_add(
    start: datetime, seconds: float, calendar: WorkCalendar | None = None
) -> datetime:
    """The moment ``seconds`` of working-day time after ``start``."""
    cal = _cal(calendar)
    day = start.astimezone(_tz()).date()
    cursor = start
    while True:
        day_end = _midnight(day + timedelta(days=1))
        if cal.is_working_day(day):
            available = (day_end - cursor).total_seconds()
            if seconds <= available:
                return cursor + timedelta(seconds=seconds)
            seconds -= available
        day += timedelta(days=1)
        cursor = day_end


def clock_due(
    rule: ClockRule | None, start: datetime, calendar: WorkCalendar | None = None
) -> datetime | None:
    """When a clock of ``rule`` started at ``start`` runs out."""
    if rule is None:
        return None
    if rule.unit == ClockUnit.WORKING_DAYS:
        return working_days_after(start, rule.amount, calendar)
    return start + timedelta(hours=rule.amount)


def clock_resume(
    *,
    unit: str,
    due: datetime,
    paused_at: datetime,
    now: datetime,
    minimum: timedelta,
    calendar: WorkCalendar | None = None,
) -> datetime:
    """The new due time of a clock paused at ``paused_at`` and resumed at ``now``.

    The clock gets back the time it had left when paused (working-day time for a
    working-day clock), but never less than ``minimum``: a case must not escalate in the
    instant it resumes.
    """
    if unit == ClockUnit.WORKING_DAYS:
        remaining = working_seconds_between(paused_at, due, calendar)
        resumed = working_seconds_add(now, max(remaining, 0.0), calendar)
    else:
        resumed = now + max(due - paused_at, timedelta(0))
    return max(resumed, now + minimum)


@dataclass(frozen=True)
class StageDeadlines:
    first_response_due_at: datetime | None
    update_due_at: datetime | None
    resolution_due_at: datetime | None
    provisional_from: date | None = None

    @property
    def provisional(self) -> bool:
        return self.provisional_from is not None

    @property
    def next_due_at(self) -> datetime | None:
        return next_due(self.first_response_due_at, self.update_due_at, self.resolution_due_at)


def next_due(*dues: datetime | None) -> datetime | None:
    """The earliest of the running clocks; the one the sweep watches."""
    running = [d for d in dues if d is not None]
    return min(running) if running else None


def stage_deadlines(
    *, terms: PolicyTerms, opened_at: datetime, calendar: WorkCalendar | None = None
) -> StageDeadlines:
    """All three clocks of a stage opened at ``opened_at``, and whether any is provisional."""
    cal = _cal(calendar)
    first_response, update, resolution = (clock_due(terms.rule(c), opened_at, cal) for c in CLOCKS)
    dues = (first_response, update, resolution)
    since = clocks_provisional_from(
        [(terms.rule(c), opened_at, due) for c, due in zip(CLOCKS, dues, strict=True)], cal
    )
    return StageDeadlines(first_response, update, resolution, provisional_from=since)


def _last_day(due: datetime) -> date:
    """The last calendar day a clock due at ``due`` runs on (a midnight ends the day before)."""
    return (due.astimezone(_tz()) - timedelta(microseconds=1)).date()


def clocks_provisional_from(
    clocks: Iterable[tuple[ClockRule | None, datetime | None, datetime | None]],
    calendar: WorkCalendar | None = None,
) -> date | None:
    """The first day any running working-day clock counted by rule alone, or None.

    ``clocks`` are (rule, start, due). An hours clock never depends on the calendar; a
    working-day clock depends on every day after its start up to its due time.
    """
    cal = _cal(calendar)
    found: list[date] = []
    for rule, start, due in clocks:
        if rule is None or rule.unit != ClockUnit.WORKING_DAYS or start is None or due is None:
            continue
        first = start.astimezone(_tz()).date() + timedelta(days=1)
        if (day := cal.first_provisional(first, max(first, _last_day(due)))) is not None:
            found.append(day)
    return min(found) if found else None


def clock_remap(
    *, due: datetime, since: date, counted_with: WorkCalendar, calendar: WorkCalendar
) -> datetime:
    """Move a working-day due time counted with ``counted_with`` from ``since`` onwards to
    ``calendar``: the working time between ``since`` and ``due`` is kept.

    Days before ``since`` came from published layers and are the same in both calendars,
    so whatever a pause added before then stays as it was.
    """
    anchor = _midnight(since)
    if due <= anchor:
        return due
    remaining = working_seconds_between(anchor, due, counted_with)
    return working_seconds_add(anchor, remaining, calendar)


@dataclass(frozen=True)
class ClockExplanation:
    """How a clock's due time was reached: shown to the complainant and in the API."""

    clock: str
    start: datetime
    amount: int
    unit: str
    due: datetime
    skipped: list[DayInfo] = field(default_factory=list)
    makeup_days: list[DayInfo] = field(default_factory=list)
    provisional: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "clock": self.clock,
            "start": self.start.isoformat(),
            "amount": self.amount,
            "unit": str(self.unit),
            "due": self.due.isoformat(),
            "skipped": [d.as_json() for d in self.skipped],
            "makeup_days": [d.as_json() for d in self.makeup_days],
            "provisional": self.provisional,
        }


def clock_explain(
    *,
    clock: str,
    rule: ClockRule,
    start: datetime,
    due: datetime,
    calendar: WorkCalendar | None = None,
) -> ClockExplanation:
    """The days between a clock's start and its due time that did not count, with the
    layer each came from (notice, library, rule or weekend), and the make-up working
    days that did. An hours clock skips nothing.
    """
    cal = _cal(calendar)
    skipped: list[DayInfo] = []
    makeup: list[DayInfo] = []
    provisional = False
    if rule.unit == ClockUnit.WORKING_DAYS:
        day = start.astimezone(_tz()).date() + timedelta(days=1)
        last = _last_day(due)
        while day <= last:
            info = cal.day_info(day)
            provisional = provisional or info.provisional
            if not info.working:
                skipped.append(info)
            elif info.kind == "makeup_workday":
                makeup.append(info)
            day += timedelta(days=1)
    return ClockExplanation(clock, start, rule.amount, rule.unit, due, skipped, makeup, provisional)


def warn_at_for(next_due_at: datetime | None, *, now: datetime, lead: timedelta) -> datetime | None:
    """When to warn that the next clock runs out; None when it is already that close."""
    if next_due_at is None:
        return None
    warn_at = next_due_at - lead
    return warn_at if warn_at > now else None
