"""Smart dispatch: each rule of casework/dispatch.py, and routing to the least-loaded triager."""

from decimal import Decimal

import pytest
from django.test import override_settings

from casework import actions
from casework.dispatch import TAG_LARGE_AMOUNT, TAG_LOST_ORDER, TAG_URGENT
from complaints.access import roles_ensure
from complaints.choices import CaseStatus, DispatchKind, EventKind, ProblemType, Urgency
from complaints.models import CaseEvent
from tests.factories import OrderFactory, StaffFactory, UserFactory, case_filed


@pytest.mark.parametrize(
    ("problem_type", "kind", "priority", "tags"),
    [
        (ProblemType.LOST_ORDER_UNSYNCED, DispatchKind.LOST_ORDER, 2, [TAG_LOST_ORDER]),
        (ProblemType.LOST_ORDER_STUCK, DispatchKind.LOST_ORDER, 2, [TAG_LOST_ORDER]),
        (ProblemType.LOST_ORDER_VANISHED, DispatchKind.LOST_ORDER, 2, [TAG_LOST_ORDER]),
        (ProblemType.INVALID_CARD_KEY, DispatchKind.CARD_KEY, 3, []),
        (ProblemType.NETWORK_ERROR, DispatchKind.NETWORK_ERROR, 3, []),
        (ProblemType.NOT_DELIVERED, DispatchKind.DELIVERY, 3, []),
        (ProblemType.COMPLAINT_IGNORED, DispatchKind.OTHER, 4, []),
    ],
)
def test_each_problem_type_has_its_kind(db, problem_type, kind, priority, tags) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(problem_type=problem_type, description="卡密无效")
    case.refresh_from_db()
    assert (case.dispatch_kind, case.dispatch_priority, case.dispatch_tags) == (
        kind,
        priority,
        tags,
    )


@pytest.mark.parametrize(
    "fields",
    [{"description": "紧急！充值没到账"}, {"urgency": Urgency.URGENT}],
)
def test_urgent_words_or_the_urgent_box_come_first(db, fields) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(problem_type=ProblemType.INVALID_CARD_KEY, **fields)
    assert case.dispatch_kind == DispatchKind.CARD_KEY
    assert case.dispatch_priority == 1
    assert case.dispatch_tags == [TAG_URGENT]


@override_settings(DISPATCH_LARGE_AMOUNT=500)
def test_a_large_amount_is_tagged_and_sooner(db) -> None:  # type: ignore[no-untyped-def]
    complainant = UserFactory()
    big = OrderFactory(owner=complainant, amount=Decimal("500.00"))
    case = case_filed(complainant=complainant, order=big, problem_type=ProblemType.NOT_DELIVERED)
    assert (case.dispatch_priority, case.dispatch_tags) == (2, [TAG_LARGE_AMOUNT])
    lost = case_filed(order=None, problem_type=ProblemType.LOST_ORDER_STUCK)
    assert TAG_LARGE_AMOUNT not in lost.dispatch_tags


def test_without_triagers_the_case_stays_unassigned(db) -> None:  # type: ignore[no-untyped-def]
    case = case_filed()
    assert case.assigned_to is None
    assert case.status == CaseStatus.SUBMITTED


def test_routed_to_the_triager_with_fewest_open_cases_of_the_kind(db) -> None:  # type: ignore[no-untyped-def]
    triagers = roles_ensure()[0]
    ann, bob, cat = (StaffFactory(username=name) for name in ("ann", "bob", "cat"))
    for user in (ann, bob, cat):
        user.groups.add(triagers)
    StaffFactory(username="not-a-triager")  # staff, but not in the group: never routed to
    # Ties go to the lowest pk: ann, then bob, then cat, then ann again.
    first = [case_filed(problem_type=ProblemType.LOST_ORDER_STUCK) for _ in range(4)]
    assert [c.assigned_to for c in first] == [ann, bob, cat, ann]
    # Another kind counts on its own: ann's two lost orders do not keep a card key from her.
    card = case_filed(problem_type=ProblemType.INVALID_CARD_KEY)
    assert card.assigned_to == ann
    # A closed case is no load: bob's lost order withdrawn, bob is the least loaded.
    actions.case_withdraw(case=first[1], actor=first[1].complainant)
    cat.is_active = False
    cat.save()
    assert case_filed(problem_type=ProblemType.LOST_ORDER_VANISHED).assigned_to == bob


def test_the_assignment_is_on_the_timeline_by_the_system(db) -> None:  # type: ignore[no-untyped-def]
    triager = StaffFactory(username="ann")
    triager.groups.add(roles_ensure()[0])
    case = case_filed()
    event = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED)
    assert event.actor is None
    assert event.payload == {"assignee": "ann", "reason": "dispatch"}
    assert case.status == CaseStatus.IN_PROGRESS
