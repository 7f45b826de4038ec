"""Red flags: patterns across cases that a human should look at.

Three, each a count over a threshold (settings ``REDFLAG_*``):

- a merchant with repeated invalid-card-key complaints (keys sold twice or never valid);
- a platform with many unanswered overdue cases: the circuit-breaker watchlist;
- a complainant with many complaints ended without a resolution (withdrawn, given up,
  closed at their request): possible abuse.

A flag is for a person to look at, never an automatic block: nothing here changes a
case, and nothing else reads it but the staff screens. Computed for a page of cases at
once, three grouped queries whatever the page's size.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _

from complaints.choices import ENDING_OUTCOMES, ProblemType
from complaints.models import ComplaintCase
from escalation.models import TierStage


@dataclass(frozen=True)
class RedFlags:
    """The flagged merchant, platform and complainant ids among some cases."""

    merchants: frozenset[int]
    platforms: frozenset[int]
    complainants: frozenset[int]

    def words(self, case: ComplaintCase) -> list[str]:
        """What to look at for ``case``, in words that say a human decides."""
        found = []
        if case.order.merchant_id in self.merchants:
            found.append(_("Merchant: repeated invalid-card-key complaints, worth a look"))
        if case.order.platform_id in self.platforms:
            found.append(_("Platform on the watchlist: many unanswered overdue cases"))
        if case.complainant_id in self.complainants:
            found.append(_("Complainant: many complaints ended unresolved, check by hand"))
        return found


def _over(rows: Iterable[Any], key: str, threshold: int) -> frozenset[int]:
    return frozenset(row[key] for row in rows if row["n"] >= threshold)


def red_flags_for(cases: Iterable[ComplaintCase], *, now: datetime) -> RedFlags:
    """The red flags of the merchants, platforms and complainants of ``cases`` (3 queries).

    ``cases`` need their ``order`` loaded (``select_related``), or it costs one a case.
    """
    cases = list(cases)
    merchants = {c.order.merchant_id for c in cases if c.order.merchant_id is not None}
    platforms = {c.order.platform_id for c in cases}
    complainants = {c.complainant_id for c in cases}
    if not cases:
        return RedFlags(frozenset(), frozenset(), frozenset())
    invalid_keys = (
        ComplaintCase.objects.filter(
            problem_type=ProblemType.INVALID_CARD_KEY, order__merchant__in=merchants
        )
        .values("order__merchant")
        .annotate(n=Count("pk"))
    )
    overdue = (
        TierStage.objects.filter(
            closed_at__isnull=True,
            responded_at__isnull=True,
            next_due_at__lt=now,
            case__order__platform__in=platforms,
        )
        .values("case__order__platform")
        .annotate(n=Count("pk"))
    )
    ended = (
        ComplaintCase.objects.filter(
            complainant__in=complainants, resolution_outcome__in=ENDING_OUTCOMES
        )
        .values("complainant")
        .annotate(n=Count("pk"))
    )
    return RedFlags(
        merchants=_over(invalid_keys, "order__merchant", settings.REDFLAG_MERCHANT_INVALID_KEYS),
        platforms=_over(overdue, "case__order__platform", settings.REDFLAG_PLATFORM_OVERDUE),
        complainants=_over(ended, "complainant", settings.REDFLAG_COMPLAINANT_ENDED),
    )
