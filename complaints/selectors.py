"""Reads of cases, with the access rules: complainants see their own, staff what they may."""

from typing import Any

from django.db.models import QuerySet

from .errors import NotFound
from .models import ComplaintCase


def user_sees_all_cases(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm("complaints.view_complaintcase"))


def case_list_for_user(user: Any) -> QuerySet[ComplaintCase]:
    """The cases ``user`` may see, with what a case list shows already joined."""
    cases = ComplaintCase.objects.select_related("order__platform", "assigned_to")
    if not user.is_authenticated:
        return cases.none()
    if user_sees_all_cases(user):
        return cases
    return cases.filter(complainant=user)


def case_get_for_user(
    user: Any, *, pk: int | None = None, reference: str | None = None
) -> ComplaintCase:
    """The case, or NotFound also when it exists but is not the user's (no existence leak)."""
    lookup = {"pk": pk} if pk is not None else {"reference": reference}
    case = case_list_for_user(user).filter(**lookup).first()
    if case is None:
        raise NotFound()
    return case
