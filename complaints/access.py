"""Who may see a case and who may do what to it: the one access check of the project.

Every interface (portal, API, admin) and every action asks here. Reads answer
``NotFound`` for anything the caller may not see, exactly like something that does not
exist, so nobody can probe for other people's cases; an act on a case the caller may see
but not act on answers ``Forbidden``.
"""

from enum import StrEnum
from typing import Any

from django.db.models import QuerySet

from .errors import Forbidden, NotFound
from .models import ComplaintCase

VIEW_ALL_CASES = "complaints.view_complaintcase"
TRIAGE = "complaints.triage_case"
ESCALATE = "complaints.escalate_case"


class Act(StrEnum):
    """What a person does to a case; each act has one rule in ``RULES``."""

    ACCEPT_RESPONSE = "accept_response"
    REJECT_RESPONSE = "reject_response"
    MESSAGE = "message"
    WITHDRAW = "withdraw"
    RESOLVE = "resolve"
    EXTERNAL_REFERENCE = "external_reference"
    ADD_EVIDENCE = "add_evidence"
    RECORD_RESPONSE = "record_response"
    REQUEST_EVIDENCE = "request_evidence"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    AMEND = "amend"
    REOPEN = "reopen"
    RESOLVE_BY_STAFF = "resolve_by_staff"
    RESUME = "resume"
    RECORD_ACCEPTANCE = "record_acceptance"


# (the complainant may, staff permissions any one of which is enough)
RULES: dict[Act, tuple[bool, tuple[str, ...]]] = {
    Act.ACCEPT_RESPONSE: (True, ()),
    Act.REJECT_RESPONSE: (True, ()),
    Act.MESSAGE: (True, ()),
    Act.WITHDRAW: (True, ()),
    Act.RESOLVE: (True, ()),
    Act.EXTERNAL_REFERENCE: (True, (TRIAGE,)),
    Act.ADD_EVIDENCE: (True, (TRIAGE,)),
    Act.RECORD_RESPONSE: (False, (TRIAGE,)),
    Act.REQUEST_EVIDENCE: (False, (TRIAGE,)),
    Act.ASSIGN: (False, (TRIAGE,)),
    Act.ESCALATE: (False, (ESCALATE,)),
    # Corrections of the sealed record: the complainant's own text, or staff who triage.
    Act.AMEND: (True, (TRIAGE,)),
    # Only the complainant decides that a resolution did not hold.
    Act.REOPEN: (True, ()),
    # Staff treat a case as resolved only after the complainant fell silent (the action
    # checks the silence); the complainant uses RESOLVE.
    Act.RESOLVE_BY_STAFF: (False, (TRIAGE,)),
    Act.RESUME: (False, (TRIAGE,)),
    Act.RECORD_ACCEPTANCE: (True, (TRIAGE,)),
}


def is_staff_with(user: Any, perm: str) -> bool:
    """An active staff member holding ``perm``."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(perm)
    )


def user_sees_all_cases(user: Any) -> bool:
    return is_staff_with(user, VIEW_ALL_CASES)


def cases_visible_to(user: Any) -> QuerySet[ComplaintCase]:
    """The cases ``user`` may see: their own, or every case for staff allowed to view them."""
    cases = ComplaintCase.objects.select_related("order__platform", "assigned_to")
    if not getattr(user, "is_authenticated", False):
        return cases.none()
    if user_sees_all_cases(user):
        return cases
    return cases.filter(complainant=user)


def case_get_for_user(
    user: Any, *, pk: int | None = None, reference: str | None = None
) -> ComplaintCase:
    """The case, or NotFound also when it exists but is not the user's (no existence leak)."""
    lookup = {"pk": pk} if pk is not None else {"reference": reference}
    case = cases_visible_to(user).filter(**lookup).first()
    if case is None:
        raise NotFound()
    return case


def may_act(user: Any, case: ComplaintCase, act: Act) -> bool:
    complainant_may, perms = RULES[act]
    if complainant_may and getattr(user, "pk", None) == case.complainant_id:
        return bool(user.is_active)
    return any(is_staff_with(user, perm) for perm in perms)


def check_act(user: Any, case: ComplaintCase, act: Act) -> None:
    """Raise unless ``user`` may do ``act`` to ``case``: NotFound if they may not even see
    it, Forbidden if they see it but the act is someone else's."""
    if may_act(user, case, act):
        return
    visible = getattr(user, "pk", None) == case.complainant_id or user_sees_all_cases(user)
    if not visible:
        raise NotFound()
    raise Forbidden()


def check_staff(user: Any, perm: str) -> None:
    """Raise NotFound unless ``user`` is active staff holding ``perm`` (acts on no one case)."""
    if not is_staff_with(user, perm):
        raise NotFound()
