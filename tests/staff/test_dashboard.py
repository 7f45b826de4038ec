"""The admin dashboard: its numbers on a known set of cases, each CSV, the range's edges,
query counts that do not grow with the cases, who may see it, and the refresh."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from casework import actions
from casework.analytics import figures_refresh
from casework.models import CaseFigures, FiguresRefresh, MerchantFigures, OverdueDay
from complaints.choices import ProblemType, ResolutionOutcome
from complaints.models import Merchant
from tests.factories import (
    OrderFactory,
    PlatformFactory,
    StaffFactory,
    UserFactory,
    case_filed,
)

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=BEIJING)
DASHBOARD = "staff-dashboard"
IN_RANGE = {"start": "2026-06-10", "end": "2026-06-15"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def no_dispatch_routing(monkeypatch):  # type: ignore[no-untyped-def]
    """Filing routes to nobody here: the staff member who answers takes the case."""
    monkeypatch.setattr(actions.filing, "triager_least_loaded", lambda kind: None)


def logged_in(user, language: str = "zh-hans") -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def rows_of(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    assert response.content.startswith("\ufeff".encode()), "a BOM, for Excel"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def csv_of(client: Client, table: str, params: dict[str, str] = IN_RANGE) -> list[list[str]]:
    return rows_of(client.get(reverse("staff-dashboard-csv", args=[table]), params))


def known_cases(staff):  # type: ignore[no-untyped-def]
    """Eight complaints filed 10–14 June 2026 (Beijing) through the real actions.

    Platform 卡盟甲: three invalid-key complaints naming 商户一 (answered after 20 minutes,
    after 3 hours, and never: escalated by staff to 12315) and a lost order naming nobody
    (answered after 10 hours). Platform 卡盟乙: an undelivered order naming 商户二, never
    answered (overdue since 14 June 09:00), and three network errors by carol, each
    withdrawn.
    """
    a, b = PlatformFactory(name="卡盟甲"), PlatformFactory(name="卡盟乙")
    m1 = Merchant.objects.create(platform=a, name="商户一")
    m2 = Merchant.objects.create(platform=b, name="商户二")
    alice, carol = UserFactory(username="alice"), UserFactory(username="carol")

    def file(when, platform, merchant, problem, who=alice):  # type: ignore[no-untyped-def]
        with time_machine.travel(when, tick=False):
            order = OrderFactory(owner=who, platform=platform, merchant=merchant)
            return case_filed(complainant=who, order=order, problem_type=problem, now=when)

    def answer(case, when):  # type: ignore[no-untyped-def]
        with time_machine.travel(when, tick=False):
            actions.case_record_response(case=case, actor=staff, source="staff", now=when)

    key = ProblemType.INVALID_CARD_KEY
    answer(file(at(10, 9), a, m1, key), at(10, 9, 20))
    answer(file(at(11, 9), a, m1, key), at(11, 12))
    third = file(at(12, 9), a, m1, key)
    with time_machine.travel(at(12, 12), tick=False):
        actions.case_escalate_by_staff(case=third, actor=staff, reason="无人回应", now=at(12, 12))
    answer(file(at(12, 10), a, None, ProblemType.LOST_ORDER_UNSYNCED), at(12, 20))
    file(at(13, 9), b, m2, ProblemType.NOT_DELIVERED)
    for minute in (0, 10, 20):
        case = file(at(14, 8, minute), b, None, ProblemType.NETWORK_ERROR, who=carol)
        with time_machine.travel(at(14, 9), tick=False):
            actions.case_withdraw(
                case=case, actor=carol, outcome=ResolutionOutcome.WITHDRAWN, now=at(14, 9)
            )
    return a, b


@pytest.fixture
def known(tom, settings):  # type: ignore[no-untyped-def]
    settings.REDFLAG_PLATFORM_OVERDUE = 1  # so that 卡盟乙's one overdue case flags it
    platforms = known_cases(tom)
    figures_refresh(now=NOW)
    with time_machine.travel(NOW, tick=False):
        yield platforms


# --- the numbers ------------------------------------------------------------------------


def test_the_numbers_of_a_known_set_of_cases(known, tom) -> None:
    response = logged_in(tom).get(reverse(DASHBOARD), IN_RANGE)
    assert response.status_code == 200
    total = response.context["total"]
    assert (total.filed, total.answered) == (8, 3)
    assert response.context["response_rate"] == "37.5"
    assert response.context["median"] == "2 小时 – 4 小时"
    assert response.context["escalated"] == "1"
    assert response.context["state"].overdue == 1
    page = response.content.decode()
    for shown in ("卡盟甲", "商户一 @ 卡盟甲", "carol", "37.5%", "2 小时 – 4 小时"):
        assert shown in page


def test_each_csv_has_its_table(known, tom) -> None:
    client = logged_in(tom)
    assert csv_of(client, "platforms") == [
        ["平台", "投诉数", "占全部投诉 (%)"],
        ["卡盟乙", "4", "50.0"],  # most filed first, a tie by name
        ["卡盟甲", "4", "50.0"],
    ]
    assert csv_of(client, "responses") == [
        ["平台", "投诉数", "平台已回应", "回应率 (%)", "首次回应时间中位数（按区间）"],
        ["卡盟乙", "4", "0", "0.0", "—"],
        ["卡盟甲", "4", "3", "75.0", "2 小时 – 4 小时"],
    ]
    assert csv_of(client, "merchants") == [
        ["商家", "平台", "投诉数", "其中：卡密无效或已被使用"],
        ["商户一", "卡盟甲", "3", "3"],
        ["商户二", "卡盟乙", "1", "0"],
    ]
    kinds = {row[0]: row[1:] for row in csv_of(client, "problem_types")[1:]}
    assert kinds["卡密无效或已被使用"] == ["3", "37.5"]
    assert kinds["下单提示网络错误"] == ["3", "37.5"]
    assert kinds["掉单:订单记录消失"] == ["0", "0.0"]
    assert len(kinds) == len(ProblemType.choices)
    tiers = csv_of(client, "tiers")
    assert tiers[0] == ["级别", "升级到此的投诉", "占全部投诉 (%)"]
    assert [row[1] for row in tiers[1:]] == ["1", "0", "0"]
    overdue = csv_of(client, "overdue")
    assert overdue[0] == ["日期", "未回应的逾期案件"]
    assert overdue[1:] == [
        ["2026-06-10", ""],
        ["2026-06-11", ""],
        ["2026-06-12", ""],
        ["2026-06-13", ""],
        ["2026-06-14", ""],
        ["2026-06-15", "1"],
    ]
    flags = csv_of(client, "red_flags")
    assert [row[1:] for row in flags[1:]] == [
        ["商户一 @ 卡盟甲", "3", "3"],
        ["卡盟乙", "1", "1"],
        ["carol", "3", "3"],
    ]


def test_csv_headers_follow_the_language(known, tom) -> None:
    rows = csv_of(logged_in(tom, "en"), "platforms")
    assert rows[0] == ["Platform", "Complaints filed", "Share of all filed (%)"]


def test_a_month_read_from_its_row_says_what_its_days_say(known, tom) -> None:
    """June to date (today is the 15th), all of June from July, and June less its first
    and last day (its month row less two day rows) say what the day rows of the 10th to
    the 15th say; the first and the last of June count when the range holds them."""
    client = logged_in(tom)
    tables = ("platforms", "responses", "merchants", "problem_types", "tiers")
    days = [csv_of(client, table) for table in tables]
    to_date = {"start": "2026-06-01", "end": "2026-06-15"}
    assert [csv_of(client, table, to_date) for table in tables] == days
    edge = PlatformFactory(name="月边卡盟")
    for when in (at(1, 0), datetime(2026, 6, 30, 23, 59, 59, tzinfo=BEIJING)):
        with time_machine.travel(when, tick=False):
            owner = UserFactory()
            case_filed(complainant=owner, order=OrderFactory(owner=owner, platform=edge))
    july = datetime(2026, 7, 5, 9, 0, tzinfo=BEIJING)
    figures_refresh(now=july, rebuild=True)
    with time_machine.travel(july, tick=False):
        client = logged_in(tom)  # a fresh session: the first one has expired by July
        inner = {"start": "2026-06-02", "end": "2026-06-29"}
        assert [csv_of(client, table, inner) for table in tables] == days
        june = csv_of(client, "platforms", {"start": "2026-06-01", "end": "2026-06-30"})
    assert ["月边卡盟", "2", "20.0"] in june


def test_red_flags_link_to_their_cases(known, tom) -> None:
    page = logged_in(tom).get(reverse(DASHBOARD), IN_RANGE).content.decode()
    assert "order__merchant__id__exact=" in page
    assert "deadline=overdue" in page
    assert "complainant__id__exact=" in page
    assert "不会自动拦截" in page  # a flag is for a person, never a block


# --- the range --------------------------------------------------------------------------


def test_the_range_edges_are_beijing_midnights(tom) -> None:
    """Filed a second before the first day, at its first instant, at the last day's last
    second and at the next midnight: the two inside count, the two outside do not."""
    platform = PlatformFactory(name="边界卡盟")
    alice = UserFactory(username="alice")
    for when in (
        datetime(2026, 6, 9, 23, 59, 59, tzinfo=BEIJING),
        datetime(2026, 6, 10, 0, 0, 0, tzinfo=BEIJING),
        datetime(2026, 6, 15, 23, 59, 59, tzinfo=BEIJING),
        datetime(2026, 6, 16, 0, 0, 0, tzinfo=BEIJING),
    ):
        with time_machine.travel(when, tick=False):
            case_filed(complainant=alice, order=OrderFactory(owner=alice, platform=platform))
    figures_refresh(now=datetime(2026, 6, 20, 9, 0, tzinfo=BEIJING))
    with time_machine.travel(datetime(2026, 6, 20, 9, 0, tzinfo=BEIJING), tick=False):
        rows = csv_of(logged_in(tom), "platforms")
    assert rows[1] == ["边界卡盟", "2", "100.0"]


def test_the_default_is_the_last_30_days_and_presets_set_the_range(known, tom) -> None:
    client = logged_in(tom)
    default = client.get(reverse(DASHBOARD))
    assert (str(default.context["start"]), str(default.context["end"])) == (
        "2026-05-17",
        "2026-06-15",
    )
    assert default.context["total"].filed == 8
    week = client.get(reverse(DASHBOARD), {"preset": "7"})
    assert str(week.context["start"]) == "2026-06-09"
    year = client.get(reverse(DASHBOARD), {"preset": "year"})
    assert (str(year.context["start"]), year.context["total"].filed) == ("2026-01-01", 8)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-06-15", "end": "2026-06-10"}, "end", "结束日期不能早于开始日期。"),
        ({"start": "2026-06-10", "end": "2026-06-16"}, "end", "结束日期不能晚于今天（北京时间）。"),
        (
            {"start": "2025-06-14", "end": "2026-06-15"},
            "start",
            "一次最多 366 天：请选择较晚的开始日期。",
        ),
        ({"start": "2026-06-10"}, "end", "请同时填写结束日期。"),
        ({"end": "2026-06-10"}, "start", "请同时填写开始日期。"),
        ({"start": "昨天", "end": "2026-06-10"}, "start", "输入一个有效的日期。"),
    ],
)
def test_a_wrong_range_is_refused_at_its_field(known, tom, params, field, message) -> None:
    client = logged_in(tom)
    page = client.get(reverse(DASHBOARD), params)
    assert page.status_code == 200
    assert page.context["form"].errors[field] == [message]
    assert "total" not in page.context
    assert message in page.content.decode()
    export = client.get(reverse("staff-dashboard-csv", args=["platforms"]), params)
    assert export.status_code == 400
    assert message in export.content.decode()


def test_a_year_and_a_day_is_allowed_across_a_leap_day(tom) -> None:
    with time_machine.travel(datetime(2028, 12, 31, 12, 0, tzinfo=BEIJING), tick=False):
        page = logged_in(tom).get(reverse(DASHBOARD), {"start": "2028-01-01", "end": "2028-12-31"})
    assert page.context["form"].errors == {}


def test_an_unknown_table_is_not_found(known, tom) -> None:
    assert logged_in(tom).get(reverse("staff-dashboard-csv", args=["cases"])).status_code == 404


# --- cost -------------------------------------------------------------------------------


def _queries(client: Client, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_cases(tom) -> None:
    """The same queries for two cases as for twenty on more platforms and merchants, and
    over a month or a year; the page stays within 12."""
    client = logged_in(tom)
    urls = [
        reverse(DASHBOARD),
        *(
            reverse("staff-dashboard-csv", args=[t])
            for t in ("platforms", "merchants", "overdue", "red_flags")
        ),
    ]
    ranges = [{}, {"preset": "year"}, {"start": "2026-04-20", "end": "2026-06-03"}]

    def counts() -> list[int]:
        return [_queries(client, url, params) for url in urls for params in ranges]

    with time_machine.travel(NOW, tick=False):
        for n in range(2):
            case_filed(now=NOW - timedelta(days=n * 40))
        figures_refresh(now=NOW)
        _queries(client, urls[0], {})  # the session's first read
        small = counts()
        for n in range(20):
            platform = PlatformFactory(name=f"卡盟{n}")
            merchant = Merchant.objects.create(platform=platform, name=f"商户{n}")
            owner = UserFactory()
            case_filed(
                complainant=owner,
                order=OrderFactory(owner=owner, platform=platform, merchant=merchant),
                problem_type=ProblemType.values[n % len(ProblemType.values)],
                now=NOW - timedelta(days=n * 9),
            )
        figures_refresh(now=NOW)
        large = counts()
    assert small == large
    assert max(large) <= 12


# --- who may see it ---------------------------------------------------------------------


def test_only_staff_who_see_every_case_may_open_it(known, tom, suzy) -> None:
    url = reverse(DASHBOARD)
    export = reverse("staff-dashboard-csv", args=["platforms"])
    assert Client().get(url).status_code == 302  # to the admin's sign-in
    member = logged_in(UserFactory(username="mallory"))
    assert member.get(url).status_code == 302
    assert member.get(export).status_code == 302
    no_role = logged_in(StaffFactory(username="sam-no-role"))
    refused = no_role.get(url)
    assert refused.status_code == 403
    assert "无权访问" in refused.content.decode()
    assert no_role.get(export).status_code == 403
    assert "/admin/dashboard/" not in no_role.get(reverse("admin:index")).content.decode()
    for user in (tom, suzy):
        client = logged_in(user)
        assert client.get(url).status_code == 200
        assert client.get(export).status_code == 200
        assert "/admin/dashboard/" in client.get(reverse("admin:index")).content.decode()


# --- the refresh ------------------------------------------------------------------------


def _model_rows() -> list[tuple]:
    return [
        *CaseFigures.objects.order_by(
            "period", "starts_on", "platform", "problem_type"
        ).values_list(
            "period",
            "starts_on",
            "platform__name",
            "problem_type",
            "filed",
            "answered_15m",
            "answered_2h",
            "answered_4h",
            "answered_12h",
            "reached_watchdog",
        ),
        *MerchantFigures.objects.order_by("period", "starts_on", "merchant").values_list(
            "period", "starts_on", "merchant__name", "filed", "invalid_card_key"
        ),
        *OverdueDay.objects.order_by("day").values_list("day", "overdue"),
    ]


def test_the_refresh_is_idempotent_and_catches_later_answers(tom) -> None:
    known_cases(tom)
    figures_refresh(now=NOW)
    first = _model_rows()
    figures_refresh(now=NOW)
    assert _model_rows() == first
    assert FiguresRefresh.objects.count() == 1
    # 商户二's case, filed on the 13th, is answered four days later: the next refresh
    # recounts the 13th (found by the response's event), not only today and yesterday.
    late = datetime(2026, 6, 17, 9, 30, tzinfo=BEIJING)
    case = Merchant.objects.get(name="商户二").orders.get().cases.get()
    with time_machine.travel(late, tick=False):
        actions.case_record_response(case=case, actor=tom, source="staff", now=late)
    figures_refresh(now=late + timedelta(minutes=10))
    incremental = _model_rows()
    day13 = CaseFigures.objects.get(period="day", starts_on="2026-06-13")
    assert (day13.filed, day13.answered_7d) == (1, 1)  # 3 d 30 min: the 3–7 d bucket
    figures_refresh(now=late + timedelta(minutes=10), rebuild=True)
    assert _model_rows() == incremental, "the incremental refresh agrees with a rebuild"


def test_each_day_keeps_its_last_overdue_count(tom) -> None:
    known_cases(tom)
    figures_refresh(now=at(13, 23))  # nothing overdue yet: 商户二's is due on the 14th, 09:00
    figures_refresh(now=at(14, 10))
    figures_refresh(now=at(14, 23))
    assert list(OverdueDay.objects.order_by("day").values_list("day", "overdue")) == [
        (datetime(2026, 6, 13).date(), 0),
        (datetime(2026, 6, 14).date(), 1),
    ]


def test_the_beat_runs_the_refresh(db) -> None:
    task = PeriodicTask.objects.get(task="casework.figures_refresh")
    assert (task.interval.every, task.interval.period) == (10, "minutes")


def test_the_rebuild_command_counts_every_day(tom) -> None:
    known_cases(tom)
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("figures_rebuild", stdout=out)
    assert "6 days" in out.getvalue()  # 10 to 15 June
    assert CaseFigures.objects.filter(period="month").count() == 4  # (platform, problem type) pairs
    assert timezone.localdate(FiguresRefresh.objects.get().refreshed_at) == NOW.date()


def test_a_name_that_looks_like_a_formula_is_not_one_in_the_csv(tom) -> None:
    platform = PlatformFactory(name='=HYPERLINK("http://evil.example","点我")')
    owner = UserFactory()
    with time_machine.travel(at(12, 9), tick=False):
        case_filed(complainant=owner, order=OrderFactory(owner=owner, platform=platform))
    figures_refresh(now=NOW)
    with time_machine.travel(NOW, tick=False):
        rows = csv_of(logged_in(tom), "platforms")
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","点我")'
    assert rows[1][1] == "1"
