"""Recalculate provisional deadlines after a chinesecalendar upgrade (beat does it daily)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from escalation.services import calendar_recheck


class Command(BaseCommand):
    help = "Recount provisional working-day deadlines with the current holiday calendar."

    def handle(self, *args: Any, **options: Any) -> None:
        moved = calendar_recheck(now=timezone.now())
        self.stdout.write(f"{moved} stages recalculated")
