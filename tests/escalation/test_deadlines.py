"""Pure deadline arithmetic: working days, holidays, make-up days, the calendar's end."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.choices import Urgency
from complaints.tiers import Tier
from escalation.deadlines import (
    DEFAULT_TERMS,
    ClockRule,
    ClockUnit,
    calendar_last_year,
    clock_resume,
    is_working_day,
    stage_deadlines,
    warn_at_for,
    working_days_after,
    working_seconds_add,
    working_seconds_between,
)

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_labour_day_holidays_and_the_make_up_saturday() -> None:
    assert not is_working_day(date(2026, 5, 1))  # Friday, Labour Day
    assert not is_working_day(date(2026, 5, 5))  # Tuesday, in lieu
    assert is_working_day(date(2026, 5, 9))  # Saturday, make-up working day (调休)
    assert not is_working_day(date(2026, 5, 16))  # an ordinary Saturday


def test_seven_working_days_across_labour_day() -> None:
    # Opened Thursday 30 April: 1-5 May are off, Saturday 9 May is worked.
    # Working days: 6, 7, 8, 9 (Sat), 11, 12, 13 May -> due at the end of 13 May.
    assert working_days_after(at(2026, 4, 30, 10, 0), 7) == at(2026, 5, 14, 0, 0)


def test_seven_working_days_across_national_day() -> None:
    # Opened 30 Sept: 1-7 Oct off, Saturday 10 Oct worked: 8, 9, 10, 12, 13, 14, 15 Oct.
    assert working_days_after(at(2026, 9, 30, 15, 0), 7) == at(2026, 10, 16, 0, 0)


def test_the_opening_day_does_not_count_even_late_at_night() -> None:
    assert working_days_after(at(2026, 5, 20, 23, 59), 1) == at(2026, 5, 22, 0, 0)
    assert working_days_after(at(2026, 5, 21, 0, 0), 1) == at(2026, 5, 23, 0, 0)


def test_past_the_librarys_last_year_the_statutory_holidays_count_by_rule() -> None:
    year = calendar_last_year() + 1
    assert not is_working_day(date(year, 1, 1))  # 元旦 by rule, whatever the weekday
    assert not is_working_day(date(year, 10, 1))  # 国庆 by rule
    monday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 0)
    assert is_working_day(monday)
    assert not is_working_day(monday + timedelta(days=5))  # Saturday


def test_working_days_run_on_into_the_unpublished_year() -> None:
    # 31 Dec 2026 (Thursday): 1 Jan 2027 (Friday) is 元旦 by rule, then 4-8 Jan, 11, 12 Jan.
    assert calendar_last_year() == 2026
    assert working_days_after(at(2026, 12, 31, 9, 0), 7) == at(2027, 1, 13, 0, 0)


def test_working_seconds_skip_the_holiday() -> None:
    start, end = at(2026, 4, 30, 12, 0), at(2026, 5, 6, 12, 0)
    assert working_seconds_between(start, end) == timedelta(hours=24).total_seconds()
    assert working_seconds_add(start, 24 * 3600) == end


def test_default_policy_urgency_shortens_the_platforms_first_response() -> None:
    opened = at(2026, 5, 20, 9, 0)
    normal = stage_deadlines(terms=DEFAULT_TERMS[(Tier.PLATFORM, Urgency.NORMAL)], opened_at=opened)
    urgent = stage_deadlines(terms=DEFAULT_TERMS[(Tier.PLATFORM, Urgency.URGENT)], opened_at=opened)
    assert normal.first_response_due_at == opened + timedelta(hours=24)
    assert urgent.first_response_due_at == opened + timedelta(hours=2)
    assert normal.update_due_at == opened + timedelta(hours=48)
    # 7 working days from Wednesday 20 May: 21, 22, 25, 26, 27, 28, 29 May.
    assert normal.resolution_due_at == at(2026, 5, 30, 0, 0)
    assert urgent.next_due_at == urgent.first_response_due_at


@pytest.mark.parametrize(
    ("unit", "resumed"),
    [
        # 14 h were left; resumed on Saturday 2 May during the holiday.
        (ClockUnit.HOURS, at(2026, 5, 2, 10, 0) + timedelta(hours=14)),
        # A working-day clock counts only working time: it restarts on Wednesday 6 May.
        (ClockUnit.WORKING_DAYS, at(2026, 5, 6, 14, 0)),
    ],
)
def test_a_paused_clock_resumes_with_the_time_it_had_left(unit: str, resumed: datetime) -> None:
    paused_at, due = at(2026, 4, 30, 10, 0), at(2026, 5, 1, 0, 0)
    result = clock_resume(
        unit=unit,
        due=due,
        paused_at=paused_at,
        now=at(2026, 5, 2, 10, 0),
        minimum=timedelta(hours=1),
    )
    assert result == resumed


def test_a_clock_resumed_after_its_deadline_gets_the_minimum() -> None:
    now = at(2026, 5, 21, 10, 0)
    result = clock_resume(
        unit=ClockUnit.HOURS,
        due=at(2026, 5, 20, 9, 0),
        paused_at=at(2026, 5, 20, 10, 0),
        now=now,
        minimum=timedelta(hours=1),
    )
    assert result == now + timedelta(hours=1)


def test_no_warning_when_the_clock_is_shorter_than_the_lead() -> None:
    now = at(2026, 5, 20, 9, 0)
    lead = timedelta(hours=2)
    assert warn_at_for(now + timedelta(hours=24), now=now, lead=lead) == now + timedelta(hours=22)
    assert warn_at_for(now + timedelta(hours=2), now=now, lead=lead) is None
    assert ClockRule(2).unit == ClockUnit.HOURS
