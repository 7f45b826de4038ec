from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework import actions
from complaints.access import case_get_for_user
from complaints.access import cases_visible_to as case_list_for_user
from complaints.choices import CaseStatus, EventKind
from complaints.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotFound
from complaints.models import ComplaintCase
from complaints.tiers import Tier
from complaints.transitions import case_transition
from tests.factories import OrderFactory, case_filed

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_filing_opens_the_platform_stage_and_an_evidence_bundle(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    assert case.status == CaseStatus.SUBMITTED
    assert case.tier == Tier.PLATFORM
    stage = case.stages.get()
    assert stage.tier == Tier.PLATFORM and stage.opened_at == NOW
    assert stage.first_response_due_at == NOW + timedelta(hours=24)
    assert case.evidence_bundle.items.count() == 0


def test_filing_someone_elses_order_is_refused(complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=outsider)
    with pytest.raises(InvalidInput):
        case_filed(complainant=complainant, order=order)
    assert not ComplaintCase.objects.exists()


def test_each_status_change_is_in_the_timeline_with_who_and_when(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    actions.case_assign(case=case, assignee=triager, actor=triager, now=NOW + timedelta(hours=1))
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.assigned_to == triager
    actions.case_resolve(
        case=case, outcome="refund_received", actor=complainant, now=NOW + timedelta(hours=5)
    )
    events = list(case.events.values_list("kind", "actor__username", "created_at"))
    assert events == [
        (EventKind.FILED, "alice", NOW),
        (EventKind.ASSIGNED, "tina", NOW + timedelta(hours=1)),
        (EventKind.STATUS_CHANGED, "tina", NOW + timedelta(hours=1)),
        (EventKind.RESOLVED, "alice", NOW + timedelta(hours=5)),
    ]
    case.refresh_from_db()
    assert case.closed_at == NOW + timedelta(hours=5)
    assert case.stages.get().close_reason == "resolved"


def test_a_closed_case_cannot_be_reopened(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    actions.case_withdraw(case=case, actor=complainant)
    with pytest.raises(InvalidTransition):
        case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=complainant)
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN


def test_a_stale_copy_cannot_overwrite_a_newer_status(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    stale = ComplaintCase.objects.get(pk=case.pk)
    actions.case_withdraw(case=case, actor=complainant)
    with pytest.raises(ConcurrentChange):
        case_transition(case=stale, to_status=CaseStatus.IN_PROGRESS, actor=complainant)
    assert ComplaintCase.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN
    assert case.events.filter(kind=EventKind.STATUS_CHANGED).count() == 0


def test_complainants_see_only_their_own_cases(complainant, outsider, triager) -> None:  # type: ignore[no-untyped-def]
    mine = case_filed(complainant=complainant)
    theirs = case_filed(complainant=outsider)
    assert list(case_list_for_user(complainant)) == [mine]
    with pytest.raises(NotFound):
        case_get_for_user(complainant, pk=theirs.pk)
    assert set(case_list_for_user(triager)) == {mine, theirs}


def test_staff_without_the_view_permission_see_nothing(complainant) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import StaffFactory

    case_filed(complainant=complainant)
    assert list(case_list_for_user(StaffFactory())) == []
