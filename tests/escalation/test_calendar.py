"""The working-day calendar: each kind of day at its boundary, the three layers in order,
provisional deadlines and their recalculation when the year's arrangement arrives."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from lunardate import LunarDate

from casework.calendar import calendar_reminder_send
from complaints.choices import EventKind
from escalation import calendar as cal
from escalation.deadlines import (
    ClockRule,
    ClockUnit,
    clock_explain,
    clock_resume,
    stage_deadlines,
    working_days_after,
)
from escalation.models import HolidayNotice, TierStage
from escalation.selectors import stage_current
from escalation.services import calendar_recheck, stage_pause, stage_resume
from escalation.workcalendar import (
    DayKind,
    Festival,
    Layer,
    NoticeDay,
    WorkCalendar,
    statutory_holidays,
)
from notifications.models import OutboxEmail
from tests.factories import case_filed
from tests.portal.conftest import EN, client_for

SH = ZoneInfo("Asia/Shanghai")
WD7 = ClockRule(7, ClockUnit.WORKING_DAYS)
LIBRARY = WorkCalendar()  # layers 2 and 3: what the installed chinesecalendar publishes


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    cal.calendar_invalidate()
    yield
    cal.calendar_invalidate()


# --- each kind of day ----------------------------------------------------------------


def test_a_make_up_saturday_counts_as_a_working_day() -> None:
    info = LIBRARY.day_info(date(2026, 2, 14))  # Saturday worked before 春节 2026
    assert (info.working, info.kind, info.layer) == (True, DayKind.MAKEUP_WORKDAY, Layer.LIBRARY)
    # Thursday 12 Feb: 13, 14 (Sat, worked), 15-23 off, 24, 25, 26, 27, 28 (Sat, worked).
    assert working_days_after(at(2026, 2, 12, 10, 0), 7, LIBRARY) == at(2026, 3, 1, 0, 0)
    # Ending on the make-up Saturday itself: from Thursday 12 Feb, 2 working days.
    assert working_days_after(at(2026, 2, 12, 10, 0), 2, LIBRARY) == at(2026, 2, 15, 0, 0)


def test_a_weekday_holiday_is_skipped_with_its_source() -> None:
    explained = clock_explain(
        clock="resolution",
        rule=WD7,
        start=at(2026, 9, 30, 15, 0),
        due=working_days_after(at(2026, 9, 30, 15, 0), 7, LIBRARY),
        calendar=LIBRARY,
    )
    assert explained.due == at(2026, 10, 16, 0, 0)
    first = explained.skipped[0]
    assert (first.day, first.kind, first.layer) == (date(2026, 10, 1), "holiday", "library")
    assert first.festival == Festival.NATIONAL_DAY
    assert [d.day for d in explained.makeup_days] == [date(2026, 10, 10)]
    assert not explained.provisional
    # The day before and the day after the holiday are ordinary working days.
    assert LIBRARY.is_working_day(date(2026, 9, 30))
    assert LIBRARY.is_working_day(date(2026, 10, 8))


def test_a_holiday_on_a_weekend() -> None:
    # Published: Saturday 3 Jan 2026 is part of 元旦, a holiday and not a mere weekend.
    saturday = LIBRARY.day_info(date(2026, 1, 3))
    assert (saturday.kind, saturday.layer) == (DayKind.HOLIDAY, Layer.LIBRARY)
    assert LIBRARY.is_working_day(date(2026, 1, 4))  # Sunday worked (调休)
    # By rule: 1-2 May 2027 fall on Saturday and Sunday; art. 6 makes them up on 3-4 May.
    rule = statutory_holidays(2027)
    assert rule[date(2027, 5, 1)] == (Festival.LABOUR_DAY, False)
    assert rule[date(2027, 5, 3)] == (Festival.LABOUR_DAY, True)
    assert rule[date(2027, 5, 4)] == (Festival.LABOUR_DAY, True)
    assert LIBRARY.is_working_day(date(2027, 5, 5))
    assert not LIBRARY.is_working_day(date(2027, 5, 4))


def test_the_turn_of_a_year_without_a_published_arrangement() -> None:
    # Opened Wednesday 30 Dec 2026: 31 Dec, then 1 Jan 2027 (Friday, 元旦 by rule),
    # the weekend, 4-8 Jan and 11 Jan.
    opened = at(2026, 12, 30, 10, 0)
    info = LIBRARY.day_info(date(2027, 1, 1))
    assert (info.working, info.layer, info.provisional) == (False, Layer.RULE, True)
    d = stage_deadlines(
        terms=cal.PolicyTerms(ClockRule(24), ClockRule(48), WD7), opened_at=opened, calendar=LIBRARY
    )
    assert d.resolution_due_at == at(2027, 1, 12, 0, 0)
    assert d.provisional_from == date(2027, 1, 1)
    # A clock that ends in 2026 is not provisional, nor is an hours clock into 2027.
    short = stage_deadlines(
        terms=cal.PolicyTerms(ClockRule(48), None, ClockRule(1, ClockUnit.WORKING_DAYS)),
        opened_at=opened,
        calendar=LIBRARY,
    )
    assert short.resolution_due_at == at(2027, 1, 1, 0, 0)
    assert short.provisional_from is None


def test_chinese_new_year_of_a_year_computed_by_rule() -> None:
    eve = LunarDate(2027, 1, 1).to_solar_date() - timedelta(days=1)
    assert eve == date(2027, 2, 5)
    rule = statutory_holidays(2027)
    assert [d for d, (f, lieu) in rule.items() if f == Festival.SPRING_FESTIVAL and not lieu] == [
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
    ]
    # Saturday 6 and Sunday 7 Feb are made up on 9-10 Feb (art. 6); 11 Feb is worked.
    assert not LIBRARY.is_working_day(date(2027, 2, 10))
    assert LIBRARY.is_working_day(date(2027, 2, 11))
    assert LIBRARY.is_working_day(date(2027, 2, 4))
    # The rest of 2027 by rule: 清明 5 Apr, 端午 9 Jun, 中秋 15 Sep, 国庆 1-3 Oct.
    assert {date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)} <= rule.keys()
    assert working_days_after(at(2027, 2, 3, 9, 0), 7, LIBRARY) == at(2027, 2, 19, 0, 0)


def test_the_rule_matches_the_published_2026_holidays_it_can_know() -> None:
    """Where the notice did no shifting, the rule's festival days are the notice's."""
    for day in statutory_holidays(2026):
        if day.weekday() < 5 and not statutory_holidays(2026)[day][1]:
            assert chinese_calendar.is_holiday(day), day


def test_the_notice_comes_before_the_library_and_publishes_its_year() -> None:
    notice = WorkCalendar(
        notice_days={
            date(2026, 6, 22): NoticeDay(date(2026, 6, 22), False, Festival.OTHER),
            date(2027, 1, 2): NoticeDay(date(2027, 1, 2), True, Festival.NEW_YEAR),
        },
        notice_years=frozenset({2027}),
    )
    assert notice.day_info(date(2026, 6, 22)).layer == Layer.NOTICE  # over the library
    assert not notice.is_working_day(date(2026, 6, 22))
    assert notice.is_working_day(date(2027, 1, 2))
    # 2027 now has a notice: the rule no longer applies, unlisted days are ordinary.
    assert notice.is_working_day(date(2027, 1, 1))
    assert notice.day_info(date(2027, 1, 4)).layer == Layer.NOTICE
    assert not notice.day_info(date(2027, 1, 4)).provisional
    assert notice.year_published(2027) and not notice.year_published(2028)


def test_a_resumed_working_day_clock_uses_the_calendar() -> None:
    resumed = clock_resume(
        unit=ClockUnit.WORKING_DAYS,
        due=at(2026, 12, 31, 12, 0),
        paused_at=at(2026, 12, 31, 0, 0),
        now=at(2026, 12, 31, 12, 0),
        minimum=timedelta(hours=1),
        calendar=LIBRARY,
    )
    # 12 h left at noon on 31 Dec: the rest of the day, then 1 Jan (元旦 by rule) and the
    # weekend are skipped, so the clock runs out at midnight starting 1 Jan.
    assert resumed == at(2027, 1, 1, 0, 0)


# --- import -----------------------------------------------------------------------------


def test_csv_and_ical_files_give_days() -> None:
    csv_days = cal.calendar_parse(
        content="date,kind,festival\n2027-01-01,休,元旦\n2027-02-20,班,春节\n".encode(),
        name="2027.csv",
    )
    assert [(d.day, d.kind, d.festival) for d in csv_days] == [
        (date(2027, 1, 1), "holiday", "new_year"),
        (date(2027, 2, 20), "workday", "spring_festival"),
    ]
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20270205\r\nDTEND;VALUE=DATE:20270209\r\n"
        "SUMMARY:春节 休\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20270213\r\nSUMMARY:春节 班\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    ical_days = cal.calendar_parse(content=ics.encode(), name="cn.ics")
    assert [d.day.day for d in ical_days if d.kind == "holiday"] == [5, 6, 7, 8]
    assert [(d.day, d.kind) for d in ical_days if d.kind == "workday"] == [
        (date(2027, 2, 13), "workday")
    ]
    with pytest.raises(cal.CalendarImportError):
        cal.calendar_parse(content=b"not-a-date,holiday\n", name="x.csv")


# --- provisional stages and their recalculation ----------------------------------------

OPENED = at(2026, 12, 30, 10, 0)
NOTICE_2027_CSV = "2027-01-01,holiday,元旦\n2027-01-02,workday,元旦\n".encode()


def _provisional_case(complainant):  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=OPENED)
    stage = stage_current(case)
    assert stage.resolution_due_at == at(2027, 1, 12, 0, 0)
    assert stage.provisional and stage.provisional_from == date(2027, 1, 1)
    return case, stage


def test_entering_the_notice_in_admin_recalculates_the_provisional_stage(  # type: ignore[no-untyped-def]
    complainant, supervisor
) -> None:
    case, stage = _provisional_case(complainant)
    hours = (stage.first_response_due_at, stage.update_due_at)
    client = Client()
    client.force_login(supervisor)
    with time_machine.travel(at(2026, 12, 5, 10, 0), tick=False):
        response = client.post(
            reverse("admin:escalation_holidaynotice_add"),
            {
                "year": "2027",
                "title": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
                "published_on": "2026-12-04",
                "import_file": SimpleUploadedFile("2027.csv", NOTICE_2027_CSV),
                "days-TOTAL_FORMS": "0",
                "days-INITIAL_FORMS": "0",
            },
            follow=True,
        )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert HolidayNotice.objects.get(year=2027).days.count() == 2
    stage.refresh_from_db()
    # Saturday 2 Jan is now worked: 31 Dec, 2, 4, 5, 6, 7 and 8 Jan.
    assert stage.resolution_due_at == at(2027, 1, 9, 0, 0)
    assert not stage.provisional
    assert (stage.first_response_due_at, stage.update_due_at) == hours  # hours clocks stay
    assert stage.next_due_at == min(d for d in hours if d)
    event = case.events.get(kind=EventKind.DEADLINES_RECALCULATED)
    assert event.actor == supervisor
    assert parse_datetime(event.payload["before"]["resolution"]) == at(2027, 1, 12, 0, 0)
    assert parse_datetime(event.payload["after"]["resolution"]) == at(2027, 1, 9, 0, 0)
    assert event.payload["provisional"] is False
    # Nothing moves twice.
    assert calendar_recheck(now=at(2026, 12, 5, 11, 0)) == 0


def test_a_library_upgrade_bringing_the_year_recalculates_too(  # type: ignore[no-untyped-def]
    complainant, monkeypatch
) -> None:
    case, stage = _provisional_case(complainant)
    # A newer chinesecalendar publishing 2027 with 1-3 Jan off and no make-up day.
    for d in (1, 2, 3):
        monkeypatch.setitem(chinese_calendar.constants.holidays, date(2027, 1, d), "New Year's Day")
    cal.calendar_invalidate()
    assert cal.calendar_current().year_layer(2027) == Layer.LIBRARY
    # The count is the same as by rule (Sat/Sun were off anyway): nothing moves, but the
    # stage is no longer provisional and no event is written.
    assert calendar_recheck(now=at(2026, 12, 20, 3, 10)) == 0
    stage.refresh_from_db()
    assert not stage.provisional and stage.resolution_due_at == at(2027, 1, 12, 0, 0)
    assert not case.events.filter(kind=EventKind.DEADLINES_RECALCULATED).exists()


def test_a_paused_provisional_stage_keeps_its_remaining_time_when_remapped(  # type: ignore[no-untyped-def]
    complainant,
) -> None:
    case, stage = _provisional_case(complainant)
    stage_pause(case=case, now=at(2026, 12, 30, 12, 0))
    stage_resume(case=case, now=at(2026, 12, 31, 12, 0))  # one working day later
    stage.refresh_from_db()
    assert stage.resolution_due_at == at(2027, 1, 13, 0, 0)
    assert stage.provisional_from == date(2027, 1, 1)
    notice = HolidayNotice.objects.create(year=2027, title="测试", published_on=date(2026, 12, 4))
    cal.notice_days_import(
        notice=notice,
        days=cal.calendar_parse(content=NOTICE_2027_CSV, name="x.csv"),
        now=at(2027, 1, 1, 0, 0),
    )
    assert calendar_recheck(now=at(2027, 1, 1, 9, 0)) == 1
    stage.refresh_from_db()
    # 2 Jan worked now: the 7 working days counted from 1 Jan end a day earlier.
    assert stage.resolution_due_at == at(2027, 1, 12, 0, 0)
    assert stage.provisional_from is None


def test_the_case_page_and_the_api_say_the_deadline_is_provisional(complainant) -> None:  # type: ignore[no-untyped-def]
    case, _stage = _provisional_case(complainant)
    url = reverse("portal:case_detail", args=[case.reference])
    with time_machine.travel(at(2026, 12, 30, 11, 0), tick=False):
        body = client_for(complainant).get(url).content.decode()
        english = client_for(complainant, EN).get(url).content.decode()
        from tests.api.conftest import client_for as api_client_for

        data = api_client_for(complainant).get(f"/api/v1/cases/{case.pk}/").json()
    assert "此期限按法定节假日估算，国务院公布放假安排后可能调整" in body
    assert "<details" in body and "2027-01-01" in body
    assert "This deadline is estimated from the statutory holidays" in english
    assert "How this deadline was calculated" in english
    assert data["stage"]["provisional"] is True
    explained = {e["clock"]: e for e in data["stage"]["deadline_explanation"]}
    resolution = explained["resolution"]
    assert (resolution["amount"], resolution["unit"]) == (7, "working_days")
    assert parse_datetime(resolution["due"]) == at(2027, 1, 12, 0, 0)
    assert resolution["skipped"][0] == {
        "date": "2027-01-01",
        "kind": "holiday",
        "layer": "rule",
        "festival": "new_year",
        "in_lieu": False,
        "provisional": True,
    }
    assert [d["layer"] for d in resolution["skipped"][1:3]] == ["weekend", "weekend"]
    assert explained["first_response"]["skipped"] == []


def test_an_ordinary_stage_is_not_provisional_and_says_nothing(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=at(2026, 5, 20, 9, 0))
    assert not stage_current(case).provisional
    with time_machine.travel(at(2026, 5, 20, 10, 0), tick=False):
        body = (
            client_for(complainant)
            .get(reverse("portal:case_detail", args=[case.reference]))
            .content.decode()
        )
    assert "此期限按法定节假日估算" not in body


# --- the yearly reminder -----------------------------------------------------------------


def test_the_reminder_starts_on_1_november_and_is_sent_once(supervisor, triager) -> None:  # type: ignore[no-untyped-def]
    assert cal.calendar_reminder_year(now=at(2026, 10, 31, 23, 59)) is None
    assert cal.calendar_reminder_year(now=at(2026, 11, 1, 0, 0)) == 2027
    assert calendar_reminder_send(now=at(2026, 11, 1, 9, 0)) == 1
    assert calendar_reminder_send(now=at(2026, 11, 2, 9, 0)) == 0  # once per year
    row = OutboxEmail.objects.get()
    assert row.dedupe_key == f"calendar-reminder:2027:{supervisor.pk}"
    assert row.to == [supervisor.email] and "2027" in row.subject
    # In admin too, until the notice is entered.
    client = Client()
    client.force_login(supervisor)
    with time_machine.travel(at(2026, 11, 3, 9, 0), tick=False):
        assert "2027" in client.get(reverse("admin:index")).content.decode()
        page = client.get(reverse("admin:escalation_holidaynotice_changelist"))
        assert "国务院" in page.content.decode()
        HolidayNotice.objects.create(year=2027, title="通知", published_on=date(2026, 11, 3))
        assert cal.calendar_reminder_year(now=at(2026, 11, 3, 9, 0)) is None
        assert "2027" not in client.get(reverse("admin:index")).content.decode()


def test_provisional_is_a_column_for_staff(supervisor, complainant) -> None:  # type: ignore[no-untyped-def]
    _provisional_case(complainant)
    client = Client()
    client.force_login(supervisor)
    page = client.get(
        reverse("admin:escalation_tierstage_changelist") + "?provisional_from__isempty=0"
    )
    assert page.status_code == 200
    assert TierStage.objects.filter(provisional_from__isnull=False).count() == 1
