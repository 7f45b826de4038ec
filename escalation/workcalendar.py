"""The working-day calendar every clock counts with: three layers, no database.

A day's status comes from the first layer that knows its year:

1. ``notice``: days an administrator entered from the State Council's annual notice
   (国务院办公厅关于××年部分节假日安排的通知), holidays and make-up working days (调休);
2. ``library``: the published arrangements the chinesecalendar package ships;
3. ``rule``: for a year with no published arrangement, the statutory holidays computed
   from 全国年节及纪念日放假办法 (as amended 2024, in force since 2025) and weekends.

Why chinesecalendar for layer 2 rather than python-holidays: both hold the notices up to
2026 (holidays 0.109, the newest, holds no 2027 notice either), but chinesecalendar holds
nothing else, so "the library holds this year" is a plain question (``is_workday`` raises
``NotImplementedError`` past its data) and its make-up working days are a public mapping.
python-holidays fills every year it does not hold with its own estimate (weekend
statutory days moved to "observed" weekdays), so telling a published year from a guess
would mean reading its private tables; such guesses belong in layer 3 here, where they
are marked provisional. The lunar dates of layer 3 (除夕, 端午, 中秋) come from
``lunardate``, the Qingming solar term from chinesecalendar's solar-term table.

A day of a year that only layer 3 knows is *provisional*: deadlines counted over it may
move once the year's arrangement is published.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
from django.db import models
from django.utils.translation import gettext_lazy as _
from lunardate import LunarDate


class DayKind(models.TextChoices):
    WORKING = "working", _("working day")
    WEEKEND = "weekend", _("weekend")
    HOLIDAY = "holiday", _("public holiday")
    MAKEUP_WORKDAY = "makeup_workday", _("make-up working day (调休)")


class Layer(models.TextChoices):
    NOTICE = "notice", _("State Council notice, entered by staff")
    LIBRARY = "library", _("published arrangement (chinesecalendar)")
    RULE = "rule", _("statutory holidays by rule (estimate)")
    WEEKEND = "weekend", _("ordinary weekend")


class Festival(models.TextChoices):
    NEW_YEAR = "new_year", _("New Year's Day")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    QINGMING = "qingming", _("Qingming Festival")
    LABOUR_DAY = "labour_day", _("Labour Day")
    DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
    NATIONAL_DAY = "national_day", _("National Day")
    OTHER = "other", _("other")


# chinesecalendar's Holiday enum, by its English name.
_LIBRARY_FESTIVALS = {
    "New Year's Day": Festival.NEW_YEAR,
    "Spring Festival": Festival.SPRING_FESTIVAL,
    "Tomb-sweeping Day": Festival.QINGMING,
    "Labour Day": Festival.LABOUR_DAY,
    "Dragon Boat Festival": Festival.DRAGON_BOAT,
    "Mid-autumn Festival": Festival.MID_AUTUMN,
    "National Day": Festival.NATIONAL_DAY,
}


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    kind: str
    layer: str
    festival: str = ""
    in_lieu: bool = False
    provisional: bool = False  # the day's year has no published arrangement

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat(),
            "kind": str(self.kind),
            "layer": str(self.layer),
            "festival": str(self.festival),
            "in_lieu": self.in_lieu,
            "provisional": self.provisional,
        }


@dataclass(frozen=True)
class NoticeDay:
    """One day of a State Council notice, as layer 1 takes it (no ORM objects here)."""

    day: date
    working: bool
    festival: str = ""


def _eve_and_new_year(year: int) -> date:
    return LunarDate(year, 1, 1).to_solar_date()


def _qingming(year: int) -> date:
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    return next(day for day, name in terms if name == "清明")


def statutory_holidays(year: int) -> dict[date, tuple[str, bool]]:
    """The holidays 全国年节及纪念日放假办法 gives every citizen in ``year``, by rule.

    Art. 2 (as amended 2024): 元旦 1 day (1 Jan); 春节 4 days (除夕 and the first three
    days of the lunar year); 清明 1 day (the Qingming solar term); 劳动节 2 days (1-2 May);
    端午 1 day (lunar 5/5); 中秋 1 day (lunar 8/15); 国庆 3 days (1-3 October).
    Art. 6: a statutory day falling on a Saturday or Sunday is made up on a working day;
    the rule places it on the first weekday after the festival that is not itself off.
    The State Council's notice usually shifts days further (调休); that is why a year
    counted by this rule is provisional. Values are (festival, in lieu).
    """
    new_year = _eve_and_new_year(year)
    festivals: list[tuple[str, list[date]]] = [
        (Festival.NEW_YEAR, [date(year, 1, 1)]),
        (Festival.SPRING_FESTIVAL, [new_year + timedelta(days=i) for i in range(-1, 3)]),
        (Festival.QINGMING, [_qingming(year)]),
        (Festival.LABOUR_DAY, [date(year, 5, 1), date(year, 5, 2)]),
        (Festival.DRAGON_BOAT, [LunarDate(year, 5, 5).to_solar_date()]),
        (Festival.MID_AUTUMN, [LunarDate(year, 8, 15).to_solar_date()]),
        (Festival.NATIONAL_DAY, [date(year, 10, d) for d in (1, 2, 3)]),
    ]
    days: dict[date, tuple[str, bool]] = {}
    for festival, dates in festivals:
        for day in dates:
            days.setdefault(day, (festival, False))
    for festival, dates in festivals:
        owed = sum(1 for d in dates if d.weekday() >= 5)
        cursor = max(dates)
        while owed:
            cursor += timedelta(days=1)
            if cursor.weekday() < 5 and cursor not in days:
                days[cursor] = (festival, True)
                owed -= 1
    return days


def library_years() -> range:
    """The years whose published arrangement the installed chinesecalendar holds."""
    years = {d.year for d in chinese_calendar.constants.holidays}
    return range(min(years), max(years) + 1)


@dataclass
class WorkCalendar:
    """Answers "is this a working day, and who says so" for any date; pure and cheap.

    ``notice_days`` and ``notice_years`` are layer 1 (a year with a notice is published
    even on the days the notice does not list: those are ordinary days);
    ``library_years`` is the range layer 2 holds. Everything else is layer 3.
    """

    notice_days: Mapping[date, NoticeDay] = field(default_factory=dict)
    notice_years: frozenset[int] = frozenset()
    library_years: range | Iterable[int] = field(default_factory=library_years)
    version: str = ""
    _cache: dict[date, DayInfo] = field(default_factory=dict, repr=False, compare=False)
    _rule_cache: dict[int, dict[date, tuple[str, bool]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.library_years = frozenset(self.library_years)

    @classmethod
    def rule_only(cls) -> "WorkCalendar":
        """Layer 3 alone: what a provisional deadline was counted with."""
        return cls(library_years=())

    def year_layer(self, year: int) -> str:
        """Which layer holds ``year``'s arrangement: notice, library or rule."""
        if year in self.notice_years:
            return Layer.NOTICE
        if year in self.library_years:
            return Layer.LIBRARY
        return Layer.RULE

    def year_published(self, year: int) -> bool:
        return self.year_layer(year) != Layer.RULE

    def is_working_day(self, day: date) -> bool:
        return self.day_info(day).working

    def day_info(self, day: date) -> DayInfo:
        info = self._cache.get(day)
        if info is None:
            info = self._cache[day] = self._day_info(day)
        return info

    def _day_info(self, day: date) -> DayInfo:
        weekend = day.weekday() >= 5
        entered = self.notice_days.get(day)
        if entered is not None:
            return DayInfo(
                day,
                entered.working,
                DayKind.MAKEUP_WORKDAY if entered.working else DayKind.HOLIDAY,
                Layer.NOTICE,
                entered.festival,
            )
        layer = self.year_layer(day.year)
        if layer == Layer.LIBRARY:
            return self._library_day(day, weekend)
        if layer == Layer.RULE:
            rule_days = self._rule_cache.get(day.year)
            if rule_days is None:
                rule_days = self._rule_cache[day.year] = statutory_holidays(day.year)
            if day in rule_days:
                festival, in_lieu = rule_days[day]
                return DayInfo(
                    day, False, DayKind.HOLIDAY, Layer.RULE, festival, in_lieu, provisional=True
                )
            if weekend:
                return DayInfo(day, False, DayKind.WEEKEND, Layer.WEEKEND, provisional=True)
            return DayInfo(day, True, DayKind.WORKING, Layer.RULE, provisional=True)
        if weekend:
            return DayInfo(day, False, DayKind.WEEKEND, Layer.WEEKEND)
        return DayInfo(day, True, DayKind.WORKING, layer)

    def _library_day(self, day: date, weekend: bool) -> DayInfo:
        holiday = chinese_calendar.constants.holidays.get(day)
        if holiday is not None:
            festival = _LIBRARY_FESTIVALS.get(holiday, Festival.OTHER)
            return DayInfo(day, False, DayKind.HOLIDAY, Layer.LIBRARY, festival)
        workday = chinese_calendar.constants.workdays.get(day)
        if weekend and workday is not None:
            festival = _LIBRARY_FESTIVALS.get(workday, Festival.OTHER)
            return DayInfo(day, True, DayKind.MAKEUP_WORKDAY, Layer.LIBRARY, festival)
        if weekend:
            return DayInfo(day, False, DayKind.WEEKEND, Layer.WEEKEND)
        return DayInfo(day, True, DayKind.WORKING, Layer.LIBRARY)

    def first_provisional(self, first: date, last: date) -> date | None:
        """The first day from ``first`` to ``last`` (inclusive) that only layer 3 knows."""
        year = first.year
        while year <= last.year:
            if not self.year_published(year):
                return max(first, date(year, 1, 1))
            year += 1
        return None
