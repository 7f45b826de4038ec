"""Run the escalation sweep from cron or by hand: the same code the beat task runs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from casework.sweep import sweep_overdue
from notifications.outbox import outbox_drain


class Command(BaseCommand):
    help = "Escalate every tier stage whose deadline has passed, then send queued emails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would escalate; change nothing."
        )
        parser.add_argument(
            "--as-of",
            metavar="ISO-8601",
            help="Evaluate the deadlines at this moment instead of now "
            "(e.g. 2026-05-21T09:00+08:00; without an offset, the site's time zone).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["as_of"]:
            parsed = parse_datetime(options["as_of"])
            if parsed is None:
                raise CommandError(f"--as-of: not an ISO-8601 date and time: {options['as_of']}")
            now = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        result = sweep_overdue(now=now, dry_run=options["dry_run"])
        if options["dry_run"]:
            for row in result.planned:
                target = row["next_tier"] or "(last tier: flag for staff)"
                self.stdout.write(
                    f"{row['case']}\t{row['tier']} -> {target}\tdue {row['due'].isoformat()}"
                )
            self.stdout.write(f"dry run at {now.isoformat()}: {len(result.planned)} would move")
            return
        sent = outbox_drain(now=now)
        self.stdout.write(
            f"at {now.isoformat()}: escalated {result.escalated}, flagged {result.flagged}, "
            f"warned {result.warned}, emails sent {sent}"
        )
