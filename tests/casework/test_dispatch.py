"""Smart dispatch: each rule of casework/dispatch.py, and routing to the least-loaded triager."""

import threading
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import override_settings

from casework import actions
from casework.dispatch import TAG_LARGE_AMOUNT, TAG_LOST_ORDER, TAG_URGENT, triager_least_loaded
from complaints import services
from complaints.access import roles_ensure
from complaints.choices import CaseStatus, DispatchKind, EventKind, ProblemType, Urgency
from complaints.models import CaseEvent, ComplaintCase
from tests.factories import OrderFactory, StaffFactory, UserFactory, case_filed

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


# Concurrent filings (PostgreSQL: real row and advisory locks between two connections)

NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
NEW_YEAR = datetime(2027, 1, 1, 0, 0, 1, tzinfo=SHANGHAI)


def _two_triagers():  # type: ignore[no-untyped-def]
    group = roles_ensure()[0]
    ann, bob = (StaffFactory(username=name) for name in ("ann", "bob"))
    for user in (ann, bob):
        user.groups.add(group)
    return ann, bob


def _advisory_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_filing_routed_while_another_is_uncommitted_waits_and_counts_it(
    postgres, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Filing A has routed its case and not committed yet; filing B of the same kind must
    wait for it and then count A's case, or both would go to the triager with fewest.

    A and B fall either side of midnight, so their reference numbers come from different
    years' counters and nothing but routing itself could keep them apart.
    """
    ann, bob = _two_triagers()
    users = [UserFactory() for _ in range(2)]
    orders = [OrderFactory(owner=user) for user in users]
    routed, release = threading.Event(), threading.Event()
    assign = services.case_assign

    def assign_then_hold(**kwargs):  # type: ignore[no-untyped-def]
        result = assign(**kwargs)
        if threading.current_thread().name == "A":
            routed.set()  # A's case is assigned, A's transaction still open
            release.wait(timeout=30)
        return result

    monkeypatch.setattr(services, "case_assign", assign_then_hold)
    assigned: dict[str, object] = {}
    errors: list[BaseException] = []

    def file(name: str, user, order, now) -> None:  # type: ignore[no-untyped-def]
        try:
            case = case_filed(complainant=user, order=order, now=now)
            assigned[name] = case.assigned_to
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=file, name="A", args=("A", users[0], orders[0], NEW_YEARS_EVE))
    b = threading.Thread(target=file, name="B", args=("B", users[1], orders[1], NEW_YEAR))
    a.start()
    assert routed.wait(timeout=30)
    b.start()
    for _ in range(300):  # B reaches the routing lock and waits on A (a few ms)
        if _advisory_waiters() or not b.is_alive():
            break
        time.sleep(0.01)
    waited = _advisory_waiters()
    release.set()
    a.join(timeout=30)
    b.join(timeout=30)

    assert errors == []
    assert waited == 1  # B was held at the routing lock while A was uncommitted
    assert assigned == {"A": ann, "B": bob}


@pytest.mark.django_db(transaction=True)
def test_cases_filed_at_the_same_moment_spread_over_the_triagers(postgres) -> None:  # type: ignore[no-untyped-def]
    _two_triagers()
    users = [UserFactory() for _ in range(8)]
    orders = [OrderFactory(owner=user) for user in users]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def file(user, order, now) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            case_filed(complainant=user, order=order, now=now)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # half on either side of midnight: two reference counters, one routing lock
    moments = [NEW_YEARS_EVE, NEW_YEAR] * 4
    threads = [
        threading.Thread(target=file, args=args)
        for args in zip(users, orders, moments, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    loads = Counter(ComplaintCase.objects.values_list("assigned_to__username", flat=True))
    assert loads == {"ann": 4, "bob": 4}


@pytest.mark.django_db(transaction=True)
def test_routing_outside_the_assigning_transaction_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    # its lock would be released at once, and the count would be stale when assigned
    with pytest.raises(RuntimeError):
        triager_least_loaded(DispatchKind.OTHER)
