"""The working-day calendar as data: built from the notices staff entered and the library,
imported from CSV or iCal, and the recalculation of provisional deadlines when a year's
arrangement arrives.

``calendar_current()`` is the one place a ``WorkCalendar`` is built from the database. It
is kept per process and rebuilt when the notice rows change: each call compares a
fingerprint of them (one aggregate query), so an admin's edit in the web process reaches
the sweep in a worker process without any message between them.
"""

import csv
import io
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .deadlines import (
    CLOCKS,
    ClockExplanation,
    ClockUnit,
    PolicyTerms,
    clock_explain,
    clocks_provisional_from,
)
from .models import DayOff, HolidayNotice, HolidayNoticeDay, TierStage
from .workcalendar import DayKind, Festival, Layer, NoticeDay, WorkCalendar

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_current: tuple[Any, WorkCalendar] | None = None


def _fingerprint() -> tuple[Any, ...]:
    row = HolidayNotice.objects.aggregate(
        n_notices=Count("pk", distinct=True),
        notice_at=Max("updated_at"),
        n_days=Count("days"),
        day_at=Max("days__updated_at"),
        day_max=Max("days__pk"),
    )
    return tuple(row.values())


def calendar_build() -> WorkCalendar:
    """Layer 1 from the database over layers 2 and 3."""
    notice_days = {
        day: NoticeDay(day, kind == DayOff.WORKDAY, festival)
        for day, kind, festival in HolidayNoticeDay.objects.values_list("day", "kind", "festival")
    }
    years = frozenset(HolidayNotice.objects.values_list("year", flat=True))
    return WorkCalendar(notice_days=notice_days, notice_years=years)


def calendar_current() -> WorkCalendar:
    """The calendar every clock counts with now; rebuilt only when notices changed."""
    global _current
    key = _fingerprint()
    current = _current
    if current is not None and current[0] == key:
        return current[1]
    with _lock:
        calendar = calendar_build()
        calendar.version = repr(key)
        _current = (key, calendar)
    return calendar


def calendar_invalidate() -> None:
    """Forget this process's calendar (other processes notice the fingerprint change)."""
    global _current
    _current = None


# --- import ------------------------------------------------------------------------------

_KIND_WORDS = {
    DayOff.HOLIDAY: ("holiday", "off", "休", "放假", "假"),
    DayOff.WORKDAY: ("workday", "work", "班", "上班", "补班", "调休上班"),
}
_FESTIVAL_WORDS = {
    Festival.NEW_YEAR: ("元旦", "new year"),
    Festival.SPRING_FESTIVAL: ("春节", "除夕", "spring festival"),
    Festival.QINGMING: ("清明", "tomb", "qingming"),
    Festival.LABOUR_DAY: ("劳动", "五一", "labour", "labor"),
    Festival.DRAGON_BOAT: ("端午", "dragon"),
    Festival.MID_AUTUMN: ("中秋", "mid-autumn", "mid autumn"),
    Festival.NATIONAL_DAY: ("国庆", "national day"),
}


class CalendarImportError(ValueError):
    pass


def _festival_of(text: str) -> str:
    lowered = text.strip().lower()
    if lowered in Festival.values:
        return lowered
    for festival, words in _FESTIVAL_WORDS.items():
        if any(w in lowered for w in words):
            return str(festival)
    return ""


def _kind_of(text: str) -> str:
    """A workday when the text says so (班, 上班, workday), otherwise a holiday."""
    lowered = text.strip().lower()
    if lowered in DayOff.values:
        return lowered
    if any(w in lowered for w in _KIND_WORDS[DayOff.WORKDAY]):
        return DayOff.WORKDAY
    return DayOff.HOLIDAY


@dataclass(frozen=True)
class ImportedDay:
    day: date
    kind: str
    festival: str


def calendar_parse(*, content: bytes, name: str = "") -> list[ImportedDay]:
    """Days from a small CSV (``date,kind[,festival]``) or iCal file.

    CSV ``kind`` is ``holiday``/``workday`` or 休/班; iCal events are all-day events whose
    summary names the festival and says 班 (or "workday") for a make-up working day, as
    the usual published holiday feeds do; a multi-day event gives each of its days.
    """
    text = content.decode("utf-8-sig", errors="strict")
    if name.lower().endswith((".ics", ".ical")) or text.lstrip().startswith("BEGIN:VCALENDAR"):
        return _parse_ical(content)
    days: list[ImportedDay] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip() or row[0].strip().lower() in ("date", "日期"):
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError as exc:
            raise CalendarImportError(
                _("Line %(line)d: %(value)r is not a date (YYYY-MM-DD).")
                % {"line": number, "value": row[0]}
            ) from exc
        kind = _kind_of(row[1]) if len(row) > 1 else DayOff.HOLIDAY
        festival = _festival_of(row[2]) if len(row) > 2 else ""
        days.append(ImportedDay(day, kind, festival))
    return days


def _parse_ical(content: bytes) -> list[ImportedDay]:
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(content)
    except ValueError as exc:
        raise CalendarImportError(_("The file is not a valid iCalendar file.")) from exc
    days: list[ImportedDay] = []
    for event in cal.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if event.get("DTEND") else None
        if isinstance(start, datetime):
            start = start.date()
        if isinstance(end, datetime):
            end = end.date()
        end = end if end and end > start else start + timedelta(days=1)
        summary = str(event.get("SUMMARY", ""))
        kind, festival = _kind_of(summary), _festival_of(summary)
        day = start
        while day < end:
            days.append(ImportedDay(day, kind, festival))
            day += timedelta(days=1)
    return days


def notice_days_import(
    *, notice: HolidayNotice, days: list[ImportedDay], now: datetime
) -> tuple[int, int]:
    """Add or replace the notice's days; returns (created, updated).

    A date another notice already lists is moved to this one: the newest notice entered
    is the one that counts.
    """
    created = updated = 0
    with transaction.atomic():
        for item in days:
            _row, was_created = HolidayNoticeDay.objects.update_or_create(
                day=item.day,
                defaults={
                    "notice": notice,
                    "kind": item.kind,
                    "festival": item.festival,
                    "updated_at": now,
                },
            )
            created += was_created
            updated += not was_created
        HolidayNotice.objects.filter(pk=notice.pk).update(updated_at=now)
    calendar_invalidate()
    return created, updated


def _clock_starts(stage: TierStage) -> dict[str, datetime]:
    return {clock: stage.clock_start(clock) for clock in CLOCKS}


def stage_provisional_from(stage: TierStage, calendar: WorkCalendar) -> date | None:
    """The first day a running working-day clock of ``stage`` counts by rule alone."""
    terms = PolicyTerms.from_json(stage.terms)
    starts = _clock_starts(stage)
    return clocks_provisional_from(
        [(terms.rule(c), starts[c], getattr(stage, f"{c}_due_at")) for c in CLOCKS], calendar
    )


CLOCK_LABELS = {
    "first_response": gettext_lazy("First response"),
    "update": gettext_lazy("Update"),
    "resolution": gettext_lazy("Resolution"),
}


def stage_explanation(stage: TierStage, calendar: WorkCalendar) -> list[ClockExplanation]:
    """How each running clock of ``stage`` got its due time (no database reads)."""
    terms = PolicyTerms.from_json(stage.terms)
    starts = _clock_starts(stage)
    explained = []
    for clock in CLOCKS:
        rule, due = terms.rule(clock), getattr(stage, f"{clock}_due_at")
        if rule is not None and due is not None:
            explained.append(
                clock_explain(
                    clock=clock, rule=rule, start=starts[clock], due=due, calendar=calendar
                )
            )
    return explained


def explanation_display(explained: list[ClockExplanation]) -> list[dict[str, Any]]:
    """The explanation with every code turned into words of the active language."""

    def day(info: Any) -> dict[str, Any]:
        return {
            "day": info.day,
            "kind": DayKind(info.kind).label,
            "festival": Festival(info.festival).label if info.festival else "",
            "layer": Layer(info.layer).label,
            "in_lieu": info.in_lieu,
        }

    return [
        {
            "clock": CLOCK_LABELS[e.clock],
            "start": e.start,
            "amount": e.amount,
            "unit": ClockUnit(e.unit).label,
            "due": e.due,
            "skipped": [day(d) for d in e.skipped],
            "makeup_days": [day(d) for d in e.makeup_days],
            "provisional": e.provisional,
        }
        for e in explained
    ]


# --- reminder -----------------------------------------------------------------------------

REMINDER_FROM = (11, 1)  # month, day: the State Council usually publishes in Nov-Dec


def calendar_reminder_year(*, now: datetime, calendar: WorkCalendar | None = None) -> int | None:
    """Next year, from 1 November while its arrangement is published by neither the
    notices entered nor the library; None otherwise."""
    today = timezone.localdate(now)
    if (today.month, today.day) < REMINDER_FROM:
        return None
    year = today.year + 1
    calendar = calendar or calendar_current()
    return None if calendar.year_published(year) else year


def calendar_reminder_text(year: int) -> str:
    return _(
        "The holiday arrangement for %(year)s is not published yet: deadlines counted "
        "into %(year)s use the statutory holidays by rule and are shown as provisional. "
        "When the State Council publishes its notice, enter it under Holiday notices "
        "(or import its days from a CSV or iCal file); provisional deadlines are then "
        "recalculated."
    ) % {"year": year}


def supervisors() -> list[Any]:
    """Active users who may edit deadline policies (directly, by group, or superusers)."""
    user_model = get_user_model()
    perm = Q(user_permissions__codename="change_deadlinepolicy") | Q(
        groups__permissions__codename="change_deadlinepolicy"
    )
    return list(
        user_model.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | perm)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
