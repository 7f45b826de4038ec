"""What the complainant must still tell before the documents of the tiers ahead can be
produced: asked on the case page and listed in the API, from one rule.

``escalation.documents.document_needs`` says what one tier's document lacks. A case is
asked for the current tier's and for the next tier's as well, as soon as it is one step
below: the complainant answers while the case is at the platform, not on the day it
reaches 12315, whose clock then already runs.
"""

from dataclasses import dataclass

from django.utils.functional import Promise

from complaints.choices import OPEN_STATUSES
from complaints.models import ComplaintCase
from complaints.tiers import tier_next

from .documents import document_needs

# What document_needs may name: the profile's facts, and the case's own answer.
NEED_FIELDS = ("name", "phone", "address", "other_proceedings")


@dataclass(frozen=True)
class NeedAhead:
    """A missing fact, why it is asked, and the first tier ahead whose document needs it."""

    field: str  # "name", "phone", "address" (the profile) or "other_proceedings" (the case)
    why: Promise
    tier: str


def document_needs_ahead(case: ComplaintCase) -> list[NeedAhead]:
    """The facts the current tier's document and the next tier's still lack, each once
    (the nearer tier's reason first); empty for a case that is no longer open."""
    if case.status not in OPEN_STATUSES:
        return []
    needs: dict[str, NeedAhead] = {}
    for tier in (case.tier, tier_next(case.tier)):
        if tier is None:
            continue
        for need in document_needs(case, tier=tier):
            needs.setdefault(need.field, NeedAhead(need.field, need.why, str(tier)))
    return list(needs.values())
