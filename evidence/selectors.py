"""Reads of evidence, with the access rules: the complainant sees their own, staff what they may.

Everything that is not the caller's answers NotFound, exactly like something that does not
exist, so nobody can probe for other people's files.
"""

from typing import Any

from django.db.models import Q, QuerySet

from complaints.access import user_sees_all_cases
from complaints.errors import NotFound
from complaints.models import ComplaintCase

from .checklist import ChecklistEntry, checklist_for
from .models import EvidenceBundle, EvidenceItem


def _visible_items(user: Any) -> QuerySet[EvidenceItem]:
    items = EvidenceItem.objects.select_related("bundle__case")
    if not getattr(user, "is_authenticated", False):
        return items.none()
    if user_sees_all_cases(user):
        # Staff see filed evidence; a draft's evidence is its owner's alone.
        return items.filter(Q(bundle__case__isnull=False) | Q(bundle__owner=user))
    return items.filter(bundle__owner=user)


def evidence_item_get_for_user(user: Any, *, item_pk: int) -> EvidenceItem:
    item = _visible_items(user).filter(pk=item_pk).first()
    if item is None:
        raise NotFound()
    return item


def bundle_get_for_user(user: Any, *, bundle_pk: int) -> EvidenceBundle:
    bundles = EvidenceBundle.objects.select_related("case")
    if not getattr(user, "is_authenticated", False):
        raise NotFound()
    if user_sees_all_cases(user):
        bundles = bundles.filter(Q(case__isnull=False) | Q(owner=user))
    else:
        bundles = bundles.filter(owner=user)
    bundle = bundles.filter(pk=bundle_pk).first()
    if bundle is None:
        raise NotFound()
    return bundle


def case_items(case: ComplaintCase) -> QuerySet[EvidenceItem]:
    """The case's evidence in the order it was filed."""
    return EvidenceItem.objects.filter(bundle__case=case).order_by("uploaded_at", "pk")


def checklist_for_case(case: ComplaintCase) -> list[ChecklistEntry]:
    """What the case's evidence still lacks, for the complainant and for staff triaging it."""
    kinds = case_items(case).values_list("kind", flat=True).distinct()
    return checklist_for(
        problem_type=case.problem_type, amount=case.order.amount, kinds_present=kinds
    )


def checklist_for_bundle(
    bundle: EvidenceBundle, *, problem_type: str, amount: Any
) -> list[ChecklistEntry]:
    """The same checklist while the complaint is still being written."""
    kinds = bundle.items.values_list("kind", flat=True).distinct()
    return checklist_for(problem_type=problem_type, amount=amount, kinds_present=kinds)
