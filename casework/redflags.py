"""Red flags: patterns across cases that a human should look at.

Three, each a count over a threshold (settings ``REDFLAG_*``):

- a merchant with repeated invalid-card-key complaints (keys sold twice or never valid);
- a platform with many unanswered overdue cases: the circuit-breaker watchlist;
- a complainant with many complaints ended without a resolution (withdrawn, given up,
  closed at their request): possible abuse.

A flag is for a person to look at, never an automatic block: nothing here changes a
case, and nothing else reads it but the staff screens. Computed for a page of cases at
once, three queries whatever the page's size; ``red_flags_all`` lists every flagged one
for the dashboard (casework/analytics.py keeps its list at each refresh).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, QuerySet
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


def invalid_key_cases() -> QuerySet[ComplaintCase]:
    """What the merchant flag counts: complaints of an invalid or already used card key."""
    return ComplaintCase.objects.filter(problem_type=ProblemType.INVALID_CARD_KEY)


def overdue_unanswered(*, now: datetime) -> QuerySet[TierStage]:
    """What the watchlist counts: open stages whose tier has not answered, past a deadline."""
    return TierStage.objects.filter(
        closed_at__isnull=True, responded_at__isnull=True, next_due_at__lt=now
    )


def ended_cases() -> QuerySet[ComplaintCase]:
    """What the complainant flag counts: complaints they ended without a resolution."""
    return ComplaintCase.objects.filter(resolution_outcome__in=ENDING_OUTCOMES)


def red_flags_for(cases: Iterable[ComplaintCase], *, now: datetime) -> RedFlags:
    """The red flags of the merchants, platforms and complainants of ``cases`` (at most
    3 queries, whatever the number of cases).

    ``cases`` need their ``order`` loaded (``select_related``), or it costs one a case.
    """
    cases = list(cases)
    merchants = {c.order.merchant_id for c in cases if c.order.merchant_id is not None}
    platforms = {c.order.platform_id for c in cases}
    complainants = {c.complainant_id for c in cases}
    invalid_keys = invalid_key_cases().filter(order__merchant=OuterRef("pk"))
    overdue = overdue_unanswered(now=now).filter(case__order__platform=OuterRef("pk"))
    ended = ended_cases().filter(complainant=OuterRef("pk"))
    return RedFlags(
        merchants=_flagged(
            Merchant.objects, merchants, invalid_keys, settings.REDFLAG_MERCHANT_INVALID_KEYS
        ),
        platforms=_flagged(Platform.objects, platforms, overdue, settings.REDFLAG_PLATFORM_OVERDUE),
        complainants=_flagged(
            get_user_model().objects, complainants, ended, settings.REDFLAG_COMPLAINANT_ENDED
        ),
    )


def _over(rows: Any, threshold: int, limit: int, **names: str) -> list[dict[str, Any]]:
    """``rows`` grouped by ``names`` (the first is the id), those at ``threshold`` or more."""
    counted = rows.values(*names.values()).annotate(count=Count("pk")).filter(count__gte=threshold)
    found = counted.order_by("-count", next(iter(names.values())))[:limit]
    return [{"count": row["count"], **{k: row[v] for k, v in names.items()}} for row in found]


def red_flag_thresholds() -> dict[str, int]:
    """The count at which each kind of flag is raised (settings ``REDFLAG_*``)."""
    return {
        "merchants": settings.REDFLAG_MERCHANT_INVALID_KEYS,
        "platforms": settings.REDFLAG_PLATFORM_OVERDUE,
        "complainants": settings.REDFLAG_COMPLAINANT_ENDED,
    }


def red_flags_all(*, now: datetime, limit: int) -> dict[str, Any]:
    """Every flagged merchant, platform and complainant (the first ``limit`` of each, most
    counted first) with its count and the thresholds, as plain JSON data.

    The same rows and thresholds as ``red_flags_for``, grouped instead of tested id by
    id: three grouped queries whatever the number of cases.
    """
    thresholds = red_flag_thresholds()
    return {
        "thresholds": thresholds,
        "merchants": _over(
            invalid_key_cases().filter(order__merchant__isnull=False),
            thresholds["merchants"],
            limit,
            id="order__merchant",
            name="order__merchant__name",
            platform="order__merchant__platform__name",
        ),
        "platforms": _over(
            overdue_unanswered(now=now),
            thresholds["platforms"],
            limit,
            id="case__order__platform",
            name="case__order__platform__name",
        ),
        "complainants": _over(
            ended_cases(),
            thresholds["complainants"],
            limit,
            id="complainant",
            name="complainant__username",
        ),
    }
