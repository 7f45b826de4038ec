"""The deadlines the portal gives, per tier's clock (DEFAULT_TERMS), for stages opened on a
few dates, with the calendar layers each one was counted with and whether it is
provisional. Prints a table (not JSON: it is read by people).

    .venv/bin/python bench/calendar_deadlines.py [--db] [2026-12-28 2027-01-28 ...]

Without ``--db`` the calendar is the library and the rule only (no notices entered), so
the table needs no database; with it, the notices entered in the database are used too.
"""

import argparse
import os
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.utils import timezone  # noqa: E402

from escalation.deadlines import (  # noqa: E402
    CLOCKS,
    DEFAULT_TERMS,
    ClockUnit,
    clock_due,
    clock_explain,
)
from escalation.workcalendar import WorkCalendar  # noqa: E402

DATES = ["2026-12-28", "2027-01-28", "2027-09-28"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dates", nargs="*", default=DATES)
    parser.add_argument("--db", action="store_true", help="include the notices entered")
    parser.add_argument("--hour", type=int, default=10, help="opening hour (local time)")
    args = parser.parse_args()
    if args.db:
        from escalation.calendar import calendar_current

        calendar = calendar_current()
    else:
        calendar = WorkCalendar()
    tz = timezone.get_default_timezone()
    years = sorted({date.fromisoformat(d).year + k for d in args.dates for k in (0, 1)})
    print("year layers: " + ", ".join(f"{y}={calendar.year_layer(y)}" for y in years))
    header = ("opened", "tier/urgency", "clock", "length", "due", "layers", "provisional")
    rows = [header]
    for text in args.dates:
        opened = datetime.combine(date.fromisoformat(text), time(args.hour), tzinfo=tz)
        for (tier, urgency), terms in DEFAULT_TERMS.items():
            for clock in CLOCKS:
                rule = terms.rule(clock)
                if rule is None:
                    continue
                due = clock_due(rule, opened, calendar)
                assert due is not None
                explained = clock_explain(
                    clock=clock, rule=rule, start=opened, due=due, calendar=calendar
                )
                if rule.unit == ClockUnit.WORKING_DAYS:
                    layers = _layers(calendar, opened, due)
                    unit = "WD"
                else:
                    layers, unit = "-", "h"
                rows.append(
                    (
                        opened.strftime("%Y-%m-%d %H:%M"),
                        f"{tier}/{urgency}",
                        clock,
                        f"{rule.amount} {unit}",
                        due.astimezone(tz).strftime("%Y-%m-%d %H:%M %a"),
                        layers,
                        "yes" if explained.provisional else "no",
                    )
                )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _layers(calendar: WorkCalendar, opened: datetime, due: datetime) -> str:
    """Which layers decided the days counted: the year's layer, plus its holidays."""
    tz = timezone.get_default_timezone()
    first = opened.astimezone(tz).date() + timedelta(days=1)
    last = (due.astimezone(tz) - timedelta(microseconds=1)).date()
    found: dict[str, list[str]] = {}
    day = first
    while day <= last:
        info = calendar.day_info(day)
        layer = calendar.year_layer(day.year)
        found.setdefault(str(layer), [])
        if info.kind in ("holiday", "makeup_workday"):
            mark = "+" if info.kind == "makeup_workday" else ""
            found[str(layer)].append(f"{mark}{day:%m-%d}")
        day += timedelta(days=1)
    return "; ".join(
        f"{layer}" + (f" ({_ranges(days)})" if days else "") for layer, days in found.items()
    )


def _ranges(days: list[str]) -> str:
    return ",".join(days) if len(days) <= 4 else f"{days[0]}..{days[-1]} ({len(days)} days)"


if __name__ == "__main__":
    main()
