"""Re-hash every stored evidence file and re-walk every timeline; non-zero exit on any mismatch."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints.models import CollectiveCase, ComplaintCase
from evidence.integrity import case_verify, collective_verify


class Command(BaseCommand):
    help = "Check that evidence files and case timelines are unchanged since they were filed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "cases",
            nargs="*",
            help="case or collective case references (default: every case and collective case)",
        )

    def handle(self, *args: Any, cases: list[str], **options: Any) -> None:
        queryset = ComplaintCase.objects.order_by("pk")
        collectives = CollectiveCase.objects.order_by("pk")
        if cases:
            queryset = queryset.filter(reference__in=cases)
            collectives = collectives.filter(reference__in=cases)
            unknown = (
                set(cases)
                - set(queryset.values_list("reference", flat=True))
                - set(collectives.values_list("reference", flat=True))
            )
            if unknown:
                raise CommandError(f"unknown case(s): {', '.join(sorted(unknown))}")
        checked = problems = 0
        for case in queryset.iterator(chunk_size=200):
            checked += 1
            for mismatch in case_verify(case):
                problems += 1
                self.stdout.write(f"MISMATCH {mismatch}")
        grouped = 0
        for collective in collectives.iterator(chunk_size=200):
            grouped += 1
            for mismatch in collective_verify(collective):
                problems += 1
                self.stdout.write(f"MISMATCH {mismatch}")
        also = f" and {grouped} collective case timeline(s)" if grouped else ""
        if problems:
            raise CommandError(f"{problems} mismatch(es) in {checked} case(s){also}")
        self.stdout.write(f"OK: {checked} case(s){also} verified")
