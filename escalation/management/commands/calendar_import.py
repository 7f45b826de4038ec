"""Enter a State Council holiday notice from a CSV or iCal file, then recheck deadlines."""

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from escalation.calendar import (
    CalendarImportError,
    calendar_parse,
    notice_days_import,
)
from escalation.models import HolidayNotice
from escalation.services import calendar_recheck


class Command(BaseCommand):
    help = (
        "Import a year's holidays and make-up working days (CSV: date,kind[,festival]; or "
        "iCal) as that year's State Council notice; provisional deadlines are recalculated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--title", required=True, help="The notice's title.")
        parser.add_argument(
            "--published-on", required=True, type=date.fromisoformat, help="YYYY-MM-DD"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            days = calendar_parse(content=options["file"].read_bytes(), name=options["file"].name)
        except (OSError, CalendarImportError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        now = timezone.now()
        notice, _ = HolidayNotice.objects.update_or_create(
            year=options["year"],
            defaults={
                "title": options["title"],
                "published_on": options["published_on"],
                "updated_at": now,
            },
        )
        created, updated = notice_days_import(notice=notice, days=days, now=now)
        moved = calendar_recheck(now=now)
        self.stdout.write(
            f"{notice}: {created} days added, {updated} replaced; {moved} stages recalculated"
        )
