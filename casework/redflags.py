"""Red flags: patterns across cases that a human should look at.

Three, each a count over a threshold (settings ``REDFLAG_*``):

- a merchant with repeated invalid-card-key complaints (keys sold twice or never valid);
- a platform with many unanswered overdue cases: the circuit-breaker watchlist;
- a complainant with many complaints ended without a resolution (withdrawn, given up,
  closed at their request): possible abuse.

A flag is for a person to look at, never an automatic block: nothing here changes a
case, and nothing else reads it but the staff screens. Computed for a page of cases at
once, three queries whatever the page's size.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from complaints.choices import ENDING_OUTCOMES, ProblemType
from complaints.models import ComplaintCase, Merchant, Platform
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


def _flagged(candidates: Any, ids: set[int], matching: Any, threshold: int) -> frozenset[int]:
    """The ``ids`` with at least ``threshold`` ``matching`` rows, each counted no further
    than that: ``EXISTS (... OFFSET threshold - 1)``, so a platform with half a million
    overdue cases costs what one with twenty does."""
    if not ids:
        return frozenset()
    enough = Exists(matching.order_by()[threshold - 1 : threshold])
    return frozenset(candidates.filter(pk__in=ids).filter(enough).values_list("pk", flat=True))


def red_flags_for(cases: Iterable[ComplaintCase], *, now: datetime) -> RedFlags:
    """The red flags of the merchants, platforms and complainants of ``cases`` (at most
    3 queries, whatever the number of cases).

    ``cases`` need their ``order`` loaded (``select_related``), or it costs one a case.
    """
    cases = list(cases)
    merchants = {c.order.merchant_id for c in cases if c.order.merchant_id is not None}
    platforms = {c.order.platform_id for c in cases}
    complainants = {c.complainant_id for c in cases}
    invalid_keys = ComplaintCase.objects.filter(
        problem_type=ProblemType.INVALID_CARD_KEY, order__merchant=OuterRef("pk")
    )
    overdue = TierStage.objects.filter(
        closed_at__isnull=True,
        responded_at__isnull=True,
        next_due_at__lt=now,
        case__order__platform=OuterRef("pk"),
    )
    ended = ComplaintCase.objects.filter(
        complainant=OuterRef("pk"), resolution_outcome__in=ENDING_OUTCOMES
    )
    return RedFlags(
        merchants=_flagged(
            Merchant.objects, merchants, invalid_keys, settings.REDFLAG_MERCHANT_INVALID_KEYS
        ),
        platforms=_flagged(Platform.objects, platforms, overdue, settings.REDFLAG_PLATFORM_OVERDUE),
        complainants=_flagged(
            get_user_model().objects, complainants, ended, settings.REDFLAG_COMPLAINANT_ENDED
        ),
    )
