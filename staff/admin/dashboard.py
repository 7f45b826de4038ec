"""The dashboard in admin: the figures of the cases filed in a date range, each as a chart
with its table and a CSV of that table, and the red flags.

The figures come from casework's read model (casework/analytics.py): four queries a page
whatever the range or the number of cases. Charts are SVG drawn from the template on the
server: no script and no outside host, as the Content-Security-Policy requires, and each
chart says its values in a <title> for screen readers, with its table below it.

Who sees it: staff who may view every case (``complaints.view_complaintcase``: the
triager and supervisor roles), since its figures are counted over every case.
"""

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from casework.analytics import (
    ABOVE_PLATFORM,
    Figures,
    figures_read,
    merchants_read,
    overdue_read,
    refresh_read,
)
from casework.models import ANSWER_BUCKETS, FiguresRefresh
from casework.redflags import red_flag_thresholds
from complaints.access import user_sees_all_cases
from complaints.choices import ProblemType
from complaints.tiers import Tier

MAX_DAYS = 366  # a year, leap day included: the overdue line stays readable
TOP = 15  # bars a chart shows; its CSV has every row
PRESETS = (
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
    ("year", gettext_lazy("This year")),
)
DEFAULT_PRESET = "30"
CHANGELIST = "admin:complaints_complaintcase_changelist"


def preset_range(preset: str, *, today: date) -> tuple[date, date]:
    if preset == "year":
        return today.replace(month=1, day=1), today
    return today - timedelta(days=int(preset) - 1), today


class RangeForm(forms.Form):
    """From and to (Beijing dates, both included), or one of the presets; by default the
    last 30 days."""

    preset = forms.ChoiceField(label=gettext_lazy("Range"), choices=PRESETS, required=False)
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, data: Any, *, today: date) -> None:
        super().__init__(data)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if start is None and end is None:
            start, end = preset_range(data.get("preset") or DEFAULT_PRESET, today=self.today)
        elif start is None:
            self.add_error("start", _("Enter the first day too."))
        elif end is None:
            self.add_error("end", _("Enter the last day too."))
        elif end < start:
            self.add_error("end", _("The last day cannot be before the first."))
        elif end > self.today:
            self.add_error("end", _("The last day cannot be after today (Beijing time)."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error(
                "start",
                _("At most %(days)d days at a time: choose a later first day.")
                % {"days": MAX_DAYS},
            )
        data["start"], data["end"] = start, end
        return data

    @property
    def range(self) -> tuple[date, date]:
        return self.cleaned_data["start"], self.cleaned_data["end"]


# --- tables: the page's and the CSVs' -------------------------------------------------


@dataclass
class Table:
    """One table of the page, as shown and as exported: ``rows`` hold numbers or text, the
    first ``text_columns`` of each row words, the others figures."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""
    text_columns: int = 1

    @property
    def cells(self) -> list[list[tuple[str, bool]]]:
        """Each row as (shown, is a figure): counts with thousands separators."""
        return [
            [
                (f"{cell:,}" if isinstance(cell, int) else str(cell), i >= self.text_columns)
                for i, cell in enumerate(row)
            ]
            for row in self.rows
        ]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "—"


def bucket_words(index: int | None) -> str:
    """The bucket a time fell in, in words: "≤ 15 min", "1 h – 2 h", "> 7 d"."""
    if index is None:
        return "—"
    edges = [edge for _, edge in ANSWER_BUCKETS]
    upper, lower = edges[index], edges[index - 1] if index else None

    def words(minutes: int) -> str:
        if minutes < 60:
            return _("%(n)d min") % {"n": minutes}
        if minutes < 24 * 60:
            return _("%(n)d h") % {"n": minutes // 60}
        return _("%(n)d d") % {"n": minutes // (24 * 60)}

    if lower is None and upper is not None:
        return f"≤ {words(upper)}"
    if upper is None and lower is not None:
        return f"> {words(lower)}"
    return f"{words(lower or 0)} – {words(upper or 0)}"


def platforms_table(figures: Figures) -> Table:
    whole = figures.total.filed
    return Table(
        "platforms",
        _("Complaints per platform"),
        [_("Platform"), _("Complaints filed"), _("Share of all filed (%)")],
        [[p.name, p.filed, _percent(p.filed, whole)] for p in figures.platforms],
    )


def responses_table(figures: Figures) -> Table:
    return Table(
        "responses",
        _("Platform responses"),
        [
            _("Platform"),
            _("Complaints filed"),
            _("Answered by the platform"),
            _("Response rate (%)"),
            _("Median time to first response (to the bucket)"),
        ],
        [
            [
                p.name,
                p.filed,
                p.answered,
                _percent(p.answered, p.filed),
                bucket_words(p.median_bucket),
            ]
            for p in figures.platforms
        ],
        note=_(
            "Time to first response: from the complaint reaching the platform to the first "
            "response recorded there, counted in buckets (15 min, 30 min, 1 h, 2 h, 4 h, 8 h, "
            "12 h, 1 d, 2 d, 3 d, 7 d); the median is given to its bucket."
        ),
    )


def problem_types_table(figures: Figures) -> Table:
    whole = figures.total.filed
    labels = dict(ProblemType.choices)
    return Table(
        "problem_types",
        _("Complaints by problem type"),
        [_("Problem type"), _("Complaints filed"), _("Share of all filed (%)")],
        [
            [str(labels[kind]), filed, _percent(filed, whole)]
            for kind, filed in figures.problem_types.items()
        ],
    )


def tiers_table(figures: Figures) -> Table:
    whole = figures.total.filed
    labels = dict(Tier.choices)
    return Table(
        "tiers",
        _("Escalations per tier"),
        [_("Tier"), _("Complaints that reached it"), _("Share of all filed (%)")],
        [
            [
                str(labels[tier]),
                figures.total.reached[tier],
                _percent(figures.total.reached[tier], whole),
            ]
            for tier in ABOVE_PLATFORM
        ],
        note=_("Every complaint starts at the platform; these climbed further, so far."),
    )


def merchants_table(start: date, end: date, today: date, *, limit: int | None) -> Table:
    rows = merchants_read(start=start, end=end, today=today, limit=limit)
    return Table(
        "merchants",
        _("Complaints per merchant"),
        [
            _("Merchant"),
            _("Platform"),
            _("Complaints filed"),
            _("Of which: invalid or used card key"),
        ],
        [[m.name, m.platform, m.filed, m.invalid_card_key] for m in rows],
        note=_("Complaints that name no merchant are not counted here."),
        text_columns=2,
    )


def overdue_table(start: date, end: date) -> Table:
    return Table(
        "overdue",
        _("Unanswered overdue cases over time"),
        [_("Date"), _("Unanswered overdue cases")],
        [
            [day.isoformat(), "" if n is None else n]
            for day, n in overdue_read(start=start, end=end)
        ],
        note=_(
            "Open cases whose current tier has not answered and whose deadline has passed, "
            "as counted at each day's last refresh; empty where nobody counted that day."
        ),
    )


def red_flags_table(state: FiguresRefresh | None) -> Table:
    flags = state.red_flags if state is not None else {}
    thresholds = flags.get("thresholds", {})
    rows: list[list[Any]] = []
    for kind, label in (
        ("merchants", _("Merchant: invalid-card-key complaints")),
        ("platforms", _("Platform on the watchlist: unanswered overdue cases")),
        ("complainants", _("Complainant: complaints ended unresolved")),
    ):
        for flag in flags.get(kind, []):
            name = f"{flag['name']} @ {flag['platform']}" if "platform" in flag else flag["name"]
            rows.append([label, name, flag["count"], thresholds.get(kind, "")])
    return Table(
        "red_flags",
        _("Red flags"),
        [_("Flag"), _("Who"), _("Count"), _("Threshold")],
        rows,
        note=_(
            "For a person to look at; nothing is blocked automatically. Counted over every "
            "case (not only the range) at the last refresh."
        ),
        text_columns=2,
    )


def table_build(name: str, *, start: date, end: date, today: date) -> Table:
    """One whole table, for its CSV."""
    if name == "merchants":
        return merchants_table(start, end, today, limit=None)
    if name == "overdue":
        return overdue_table(start, end)
    if name == "red_flags":
        return red_flags_table(refresh_read())
    builders: dict[str, Callable[[Figures], Table]] = {
        "platforms": platforms_table,
        "responses": responses_table,
        "problem_types": problem_types_table,
        "tiers": tiers_table,
    }
    if name not in builders:
        raise Http404()
    return builders[name](figures_read(start=start, end=end, today=today))


# --- charts: geometry for the SVG in the template --------------------------------------

CHART_WIDTH = 560
LABEL_WIDTH = 170
BAR_HEIGHT = 22
LINE_WIDTH = CHART_WIDTH
LINE_HEIGHT = 240
LINE_LEFT, LINE_RIGHT, LINE_TOP, LINE_BOTTOM = 48, 12, 12, 28


@dataclass
class Bar:
    label: str
    full_label: str
    value: float
    shown: str
    y: int = 0
    width: float = 0.0

    @property
    def text_y(self) -> int:
        return self.y + 15

    @property
    def value_x(self) -> float:
        return LABEL_WIDTH + self.width + 6


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    height: int = 0
    width: int = CHART_WIDTH
    label_x: int = LABEL_WIDTH - 6
    bar_x: int = LABEL_WIDTH

    @property
    def summary(self) -> str:
        return "; ".join(f"{b.full_label}: {b.shown}" for b in self.bars) or _("no data")


def _short(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float, str]],
    *,
    top: float | None = None,
    value_room: int = 70,
) -> BarChart:
    """Horizontal bars, the longest ``top`` (by default the largest value), ``value_room``
    left after it for the value in words; ``rows`` are (label, value, shown)."""
    bars = [Bar(_short(label), label, value, shown) for label, value, shown in rows]
    top = top or max((b.value for b in bars), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - value_room
    for index, bar in enumerate(bars):
        bar.y = index * BAR_HEIGHT
        bar.width = round(room * bar.value / top, 1)
    return BarChart(title=title, bars=bars, height=max(len(bars), 1) * BAR_HEIGHT)


@dataclass
class LineChart:
    title: str
    summary: str
    lines: list[str] = field(default_factory=list)  # "x,y x,y ..." per run of counted days
    dots: list[tuple[float, float]] = field(default_factory=list)  # a lone counted day
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    left: int = LINE_LEFT
    right: int = LINE_WIDTH - LINE_RIGHT
    bottom: int = LINE_HEIGHT - LINE_BOTTOM


def line_chart(title: str, points: list[tuple[date, int | None]]) -> LineChart:
    """A line per run of counted days (a gap where nobody counted), y from 0 to the top."""
    counted = [n for _, n in points if n is not None]
    top = max(counted, default=0) or 1
    plot_w = LINE_WIDTH - LINE_LEFT - LINE_RIGHT
    plot_h = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    step = plot_w / max(len(points) - 1, 1)

    def xy(index: int, n: int) -> tuple[float, float]:
        return round(LINE_LEFT + index * step, 1), round(LINE_TOP + plot_h * (1 - n / top), 1)

    chart = LineChart(title=title, summary="")
    run: list[tuple[float, float]] = []
    for index, (_day, n) in enumerate([*points, (date.min, None)]):
        if n is not None:
            run.append(xy(index, n))
            continue
        if len(run) == 1:
            chart.dots.append(run[0])
        elif run:
            chart.lines.append(" ".join(f"{x},{y}" for x, y in run))
        run = []
    chart.y_ticks = [(xy(0, v)[1], f"{v:,}") for v in sorted({0, top // 2, top})]
    if points:
        marks = sorted({0, len(points) // 2, len(points) - 1})
        chart.x_ticks = [(xy(i, 0)[0], points[i][0].isoformat()) for i in marks]
    if counted:
        peak_day, peak = max(((d, n) for d, n in points if n is not None), key=lambda p: p[1])
        chart.summary = _(
            "%(days)d days counted of %(all)d; highest %(peak)d on %(day)s; last %(last)d."
        ) % {
            "days": len(counted),
            "all": len(points),
            "peak": peak,
            "day": peak_day.isoformat(),
            "last": counted[-1],
        }
    else:
        chart.summary = _("no data")
    return chart


# --- the views --------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> None:
    if not user_sees_all_cases(request.user):
        raise PermissionDenied


def _case_list(**params: Any) -> str:
    return f"{reverse(CHANGELIST)}?{urlencode(params)}"


def _counted(rows: list[list[Any]]) -> list[tuple[str, float, str]]:
    """Bars from a table's rows: the first cell the label, the second the count."""
    return [(str(row[0]), row[1], f"{row[1]:,}") for row in rows]


def _cards(
    figures: Figures, merchants: Table, platforms: Table, responses: Table
) -> list[tuple[Table, BarChart, bool]]:
    """Each card's table, chart, and whether the chart shows only the first ``TOP`` rows."""
    kinds, tiers = problem_types_table(figures), tiers_table(figures)
    ranked = figures.platforms[:TOP]
    answered = [
        (
            p.name,
            100 * (p.response_rate or 0),
            f"{_percent(p.answered, p.filed)}% · {bucket_words(p.median_bucket)}",
        )
        for p in ranked
    ]
    merchant_bars = [(f"{r[0]} @ {r[1]}", r[2], f"{r[2]:,}") for r in merchants.rows]
    more_platforms = len(figures.platforms) > TOP
    # On the page each table holds its chart's rows; its CSV, every row.
    platforms = replace(platforms, rows=platforms.rows[:TOP])
    responses = replace(responses, rows=responses.rows[:TOP])
    return [
        (platforms, bar_chart(platforms.title, _counted(platforms.rows)), more_platforms),
        (responses, bar_chart(responses.title, answered, top=100, value_room=160), more_platforms),
        (merchants, bar_chart(merchants.title, merchant_bars), len(merchants.rows) == TOP),
        (kinds, bar_chart(kinds.title, _counted(kinds.rows)), False),
        (tiers, bar_chart(tiers.title, _counted(tiers.rows)), False),
    ]


def _presets(start: date | None, end: date | None, today: date) -> list[tuple[str, Any, str, bool]]:
    """(key, label, query, whether it is the range shown) of each preset."""
    return [
        (key, label, urlencode({"preset": key}), (start, end) == preset_range(key, today=today))
        for key, label in PRESETS
    ]


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The page: four queries for the figures, whatever the range or the number of cases."""
    _allowed(request)
    today = timezone.localdate()
    form = RangeForm(request.GET, today=today)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "form": form,
        "presets": _presets(None, None, today),
        "top": TOP,
    }
    if not form.is_valid():
        return TemplateResponse(request, "admin/dashboard.html", context)
    start, end = form.range
    state = refresh_read()
    figures = figures_read(start=start, end=end, today=today)
    platforms = platforms_table(figures)
    responses = responses_table(figures)
    merchants = merchants_table(start, end, today, limit=TOP)
    overdue = overdue_table(start, end)
    flags = state.red_flags if state is not None else {}
    points = [(date.fromisoformat(day), n if n != "" else None) for day, n in overdue.rows]
    context.update(
        # The inputs show the range shown, a preset's or the default included.
        form=RangeForm({"start": start.isoformat(), "end": end.isoformat()}, today=today),
        presets=_presets(start, end, today),
        start=start,
        end=end,
        query=urlencode({"start": start.isoformat(), "end": end.isoformat()}),
        state=state,
        total=figures.total,
        median=bucket_words(figures.total.median_bucket),
        response_rate=_percent(figures.total.answered, figures.total.filed),
        # The ladder climbs one tier at a time: whoever climbed reached the watchdog tier.
        escalated=f"{figures.total.reached[Tier.WATCHDOG]:,}",
        filed=f"{figures.total.filed:,}",
        overdue_now=f"{state.overdue:,}" if state is not None else "—",
        thresholds=flags.get("thresholds") or red_flag_thresholds(),
        flag_links=_flag_links(flags),
        cards=_cards(figures, merchants, platforms, responses),
        overdue=overdue,
        overdue_chart=line_chart(overdue.title, points),
    )
    return TemplateResponse(request, "admin/dashboard.html", context)


def _flag_links(flags: dict[str, Any]) -> dict[str, list[tuple[dict[str, Any], str, str]]]:
    """Each flag with the case list it comes from and its count as shown."""
    lists = {
        "merchants": lambda f: _case_list(
            order__merchant__id__exact=f["id"],
            problem_type__exact=ProblemType.INVALID_CARD_KEY,
            cases="all",
        ),
        "platforms": lambda f: _case_list(order__platform__id__exact=f["id"], deadline="overdue"),
        "complainants": lambda f: _case_list(complainant__id__exact=f["id"], cases="all"),
    }
    return {
        kind: [(f, link(f), f"{f['count']:,}") for f in flags.get(kind, [])]
        for kind, link in lists.items()
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(cell: Any) -> Any:
    """A name someone typed (a merchant, a username) that starts like a formula is given a
    leading apostrophe, so a spreadsheet shows it instead of running it (OWASP: CSV
    injection); counts are numbers and stay as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def dashboard_csv(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the page, every row, for the same range: UTF-8 with a byte-order mark,
    so that Excel reads the Chinese names as such."""
    _allowed(request)
    today = timezone.localdate()
    form = RangeForm(request.GET, today=today)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    start, end = form.range
    built = table_build(table, start=start, end=end, today=today)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(built.headers)
    writer.writerows([[csv_cell(cell) for cell in row] for row in built.rows])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"kamen-{table}-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def urlpatterns() -> list[Any]:
    """Under /admin/dashboard/ (config/urls.py), behind the admin's sign-in."""
    return [
        path("", admin.site.admin_view(require_safe(dashboard_view)), name="staff-dashboard"),
        path(
            "csv/<slug:table>/",
            admin.site.admin_view(require_safe(dashboard_csv)),
            name="staff-dashboard-csv",
        ),
    ]
