"""Who may see a case and who may do what to it: the one access check of the project.

Every interface (portal, API, admin) and every action asks here. Reads answer
``NotFound`` for anything the caller may not see, exactly like something that does not
exist, so nobody can probe for other people's cases; an act on a case the caller may see
but not act on answers ``Forbidden``.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

from .errors import Forbidden, NotFound
from .models import ComplaintCase

VIEW_ALL_CASES = "complaints.view_complaintcase"
TRIAGE = "complaints.triage_case"
ESCALATE = "complaints.escalate_case"
# Supervisors act on any case and give cases to others; triagers act on their own or
# unassigned ones (首问负责制: the first to answer owns the case until it closes).
SUPERVISE = "complaints.supervise_case"


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
    REASSIGN = "reassign"
    PROPOSE_COLLECTIVE = "propose_collective"
    CONFIRM_COLLECTIVE = "confirm_collective"
    GIVE_DETAILS = "give_details"


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
    # Giving a case to someone else, or taking it from its owner, is a supervisor's call.
    Act.REASSIGN: (False, (SUPERVISE,)),
    # Grouping cases into a collective case: triage staff propose, a supervisor decides
    # (confirms, adds or removes a member, closes or dismisses).
    Act.PROPOSE_COLLECTIVE: (False, (TRIAGE,)),
    Act.CONFIRM_COLLECTIVE: (False, (SUPERVISE,)),
    # Who the complainant is (name, phone, address for the documents) only they say.
    Act.GIVE_DETAILS: (True, ()),
}
# Acts that touch neither a case's record nor its clocks, so they need not wait for the
# case's owner (首问负责制 protects the owner's handling of the case): a proposal to
# group it with others, which a supervisor confirms or dismisses.
ANY_OWNER_ACTS = frozenset({Act.PROPOSE_COLLECTIVE})


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


def user_supervises(user: Any) -> bool:
    return is_staff_with(user, SUPERVISE)


def may_act_on_assignment(user: Any, case: ComplaintCase) -> bool:
    """The assignment rule for staff: the case is unassigned, theirs, or they supervise.

    First-responder responsibility (首问负责制): whoever answered first owns the case, so
    another triager does not act on it behind the owner's back; a supervisor may.
    """
    return case.assigned_to_id in (None, getattr(user, "pk", None)) or user_supervises(user)


def may_act(user: Any, case: ComplaintCase, act: Act) -> bool:
    complainant_may, perms = RULES[act]
    if complainant_may and getattr(user, "pk", None) == case.complainant_id:
        return bool(user.is_active)
    return any(is_staff_with(user, perm) for perm in perms) and (
        act in ANY_OWNER_ACTS or may_act_on_assignment(user, case)
    )


def cases_actionable_by(user: Any, cases: QuerySet[ComplaintCase]) -> QuerySet[ComplaintCase]:
    """Of ``cases``, those the assignment rule lets ``user`` act on (the same rule as
    ``may_act_on_assignment``, as a filter for lists)."""
    if user_supervises(user):
        return cases
    return cases.filter(Q(assigned_to__isnull=True) | Q(assigned_to=user.pk))


def check_act(user: Any, case: ComplaintCase, act: Act) -> None:
    """Raise unless ``user`` may do ``act`` to ``case``: NotFound if they may not even see
    it, Forbidden if they see it but the act is someone else's."""
    if may_act(user, case, act):
        return
    visible = getattr(user, "pk", None) == case.complainant_id or user_sees_all_cases(user)
    if not visible:
        raise NotFound()
    raise Forbidden()


def check_act_on_all(user: Any, cases: Iterable[ComplaintCase], act: Act) -> None:
    """An act on several cases at once (a collective case's members): ``check_act`` on
    each, and the act's staff permission even when there is no case left to ask about."""
    _, perms = RULES[act]
    if not any(is_staff_with(user, perm) for perm in perms):
        if user_sees_all_cases(user):
            raise Forbidden()
        raise NotFound()
    for case in cases:
        check_act(user, case, act)


def check_staff(user: Any, perm: str) -> None:
    """Raise NotFound unless ``user`` is active staff holding ``perm`` (acts on no one case)."""
    if not is_staff_with(user, perm):
        raise NotFound()


# The staff roles, as Django groups (created by staff/migrations/0001_roles.py with these
# same lists): triagers see every case and act on theirs or unassigned ones; supervisors
# do everything, reassigning and deadline policies included.
TRIAGER_GROUP = "triager"
SUPERVISOR_GROUP = "supervisor"
TRIAGER_PERMISSIONS = (
    VIEW_ALL_CASES,
    "complaints.change_complaintcase",
    TRIAGE,
    ESCALATE,
    "complaints.view_caseevent",
    "complaints.view_order",
    "complaints.view_platform",
    "complaints.view_merchant",
    "complaints.view_collectivecase",
    "complaints.view_collectiveevent",
    "evidence.view_evidencebundle",
    "evidence.view_evidenceitem",
    "escalation.view_tierstage",
    "escalation.view_deadlinepolicy",
    "escalation.view_holidaynotice",
    "escalation.view_holidaynoticeday",
)
SUPERVISOR_APPS = ("complaints", "evidence", "escalation", "notifications")


def roles_ensure() -> tuple[Group, Group]:
    """The two role groups with their permissions (idempotent; the migration's, again,
    for a database emptied since, such as a test's or the demo's)."""
    triager, _ = Group.objects.get_or_create(name=TRIAGER_GROUP)
    triager.permissions.add(
        *(
            perm
            for name in TRIAGER_PERMISSIONS
            for perm in Permission.objects.filter(
                content_type__app_label=name.split(".")[0], codename=name.split(".")[1]
            )
        )
    )
    supervisor, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    supervisor.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=SUPERVISOR_APPS),
        *Permission.objects.filter(content_type__app_label="portal", codename="view_filingdraft"),
    )
    return triager, supervisor
