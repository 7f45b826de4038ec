"""Pure deadline arithmetic: given a policy and a moment, when is each clock due.

Nothing here reads the clock or the database; callers pass ``now``. Working days follow
the mainland China calendar (public holidays and make-up working days, 调休) from the
``chinesecalendar`` package. Past the last year it knows (it is updated each December
when the State Council publishes the next year's holidays) a working day is Monday to
Friday and a warning is logged once per year: deadlines stay defined, merely less exact
around holidays, until the package is upgraded.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import chinese_calendar
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.choices import Urgency
from complaints.tiers import Tier

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


def calendar_last_year() -> int:
    """The last year the installed chinesecalendar knows the holidays of."""
    return max(chinese_calendar.constants.holidays).year


def calendar_first_year() -> int:
    return min(chinese_calendar.constants.holidays).year


@functools.cache
def _warn_calendar_unknown(year: int) -> None:
    logger.warning(
        "chinesecalendar has no holiday data for %d; counting Monday-Friday as working "
        "days. Upgrade chinesecalendar once the State Council publishes that year's holidays.",
        year,
    )


@functools.lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """Mainland China working day: holidays excluded, make-up working days (调休) included."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_calendar_unknown(day.year)
        return day.weekday() < 5


def _tz() -> Any:
    return timezone.get_default_timezone()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_tz())


def working_days_after(start: datetime, days: int) -> datetime:
    """The end (midnight) of the ``days``-th working day after ``start``'s local date.

    The starting day is not counted and a period ends at the end of its last day, as the
    Civil Code counts periods (民法典 art. 201, 203).
    """
    day = start.astimezone(_tz()).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return _midnight(day + timedelta(days=1))


def working_seconds_between(start: datetime, end: datetime) -> float:
    """Seconds between two moments that fall on working days (negative if end < start)."""
    if end < start:
        return -working_seconds_between(end, start)
    total = 0.0
    day = start.astimezone(_tz()).date()
    while _midnight(day) < end:
        day_start, day_end = _midnight(day), _midnight(day + timedelta(days=1))
        if is_working_day(day):
            overlap = min(end, day_end) - max(start, day_start)
            total += max(overlap.total_seconds(), 0.0)
        day += timedelta(days=1)
    return total


def working_seconds_add(start: datetime, seconds: float) -> datetime:
    """The moment ``seconds`` of working-day time after ``start``."""
    day = start.astimezone(_tz()).date()
    cursor = start
    while True:
        day_end = _midnight(day + timedelta(days=1))
        if is_working_day(day):
            available = (day_end - cursor).total_seconds()
            if seconds <= available:
                return cursor + timedelta(seconds=seconds)
            seconds -= available
        day += timedelta(days=1)
        cursor = day_end


def clock_due(rule: ClockRule | None, start: datetime) -> datetime | None:
    """When a clock of ``rule`` started at ``start`` runs out."""
    if rule is None:
        return None
    if rule.unit == ClockUnit.WORKING_DAYS:
        return working_days_after(start, rule.amount)
    return start + timedelta(hours=rule.amount)


def clock_resume(
    *, unit: str, due: datetime, paused_at: datetime, now: datetime, minimum: timedelta
) -> datetime:
    """The new due time of a clock paused at ``paused_at`` and resumed at ``now``.

    The clock gets back the time it had left when paused (working-day time for a
    working-day clock), but never less than ``minimum``: a case must not escalate in the
    instant it resumes.
    """
    if unit == ClockUnit.WORKING_DAYS:
        remaining = working_seconds_between(paused_at, due)
        resumed = working_seconds_add(now, max(remaining, 0.0))
    else:
        resumed = now + max(due - paused_at, timedelta(0))
    return max(resumed, now + minimum)


@dataclass(frozen=True)
class StageDeadlines:
    first_response_due_at: datetime | None
    update_due_at: datetime | None
    resolution_due_at: datetime | None

    @property
    def next_due_at(self) -> datetime | None:
        return next_due(self.first_response_due_at, self.update_due_at, self.resolution_due_at)


def next_due(*dues: datetime | None) -> datetime | None:
    """The earliest of the running clocks; the one the sweep watches."""
    running = [d for d in dues if d is not None]
    return min(running) if running else None


def stage_deadlines(*, terms: PolicyTerms, opened_at: datetime) -> StageDeadlines:
    """All three clocks of a stage opened at ``opened_at``."""
    return StageDeadlines(
        clock_due(terms.first_response, opened_at),
        clock_due(terms.update, opened_at),
        clock_due(terms.resolution, opened_at),
    )


def warn_at_for(next_due_at: datetime | None, *, now: datetime, lead: timedelta) -> datetime | None:
    """When to warn that the next clock runs out; None when it is already that close."""
    if next_due_at is None:
        return None
    warn_at = next_due_at - lead
    return warn_at if warn_at > now else None
