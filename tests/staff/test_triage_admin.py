"""Triage in the admin: the queue, the actions, the roles, ownership, drafts, the 403."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import actions
from complaints.access import Act, check_act, may_act
from complaints.choices import CaseStatus, EventKind
from complaints.errors import Forbidden
from complaints.models import CaseEvent
from complaints.tiers import Tier
from escalation.models import DeadlinePolicy
from evidence.models import EvidenceBundle
from evidence.services import bundle_create
from portal.models import FilingDraft
from tests.factories import StaffFactory, UserFactory, case_filed

CHANGELIST = "admin:complaints_complaintcase_changelist"


@pytest.fixture(autouse=True)
def no_dispatch_routing(monkeypatch):  # type: ignore[no-untyped-def]
    """These tests triage unassigned cases (first-responder responsibility), so filing
    here routes to nobody; smart dispatch's routing is tests/casework/test_dispatch.py's."""
    monkeypatch.setattr(actions.filing, "triager_least_loaded", lambda kind: None)


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def run_action(client, action, cases, **data):  # type: ignore[no-untyped-def]
    return client.post(
        reverse(CHANGELIST),
        {
            "action": action,
            ACTION_CHECKBOX_NAME: [c.pk for c in cases],
            "apply": "1",
            **data,
        },
        follow=True,
    )


def kinds(case) -> list[str]:  # type: ignore[no-untyped-def]
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))


def test_the_list_shows_the_deadline_in_words(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = logged_in(tom).get(reverse(CHANGELIST))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.reference in body
    assert "后到期" in body or "due in" in body


@pytest.mark.parametrize("term", ["reference", "order", "email"])
def test_search_routes_each_term_to_its_column(tom, complainant, term) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    other = case_filed()
    value = {
        "reference": case.reference,
        "order": case.order.order_number,
        "email": complainant.email,
    }[term]
    body = logged_in(tom).get(reverse(CHANGELIST), {"q": value}).content.decode()
    assert case.reference in body
    assert other.reference not in body


def test_the_list_costs_the_same_queries_for_3_or_9_cases(tom) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(tom)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    for _ in range(3):
        case_filed()
    three = queries()
    for _ in range(6):
        case_filed()
    assert queries() == three <= 12


def test_the_queue_is_the_open_cases_closed_ones_a_filter_or_search_away(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    """Open only is what lets PostgreSQL walk the open stages' deadline index (triage.py)."""
    open_case = case_filed(complainant=complainant)
    ended = case_filed(complainant=complainant)
    actions.case_withdraw(case=ended, actor=complainant)
    client = logged_in(tom)

    def shown(**params: str) -> str:
        return client.get(reverse(CHANGELIST), params).content.decode()

    default = shown()
    assert open_case.reference in default and ended.reference not in default
    everything = shown(cases="all")
    assert open_case.reference in everything and ended.reference in everything
    by_status = shown(status__exact=CaseStatus.WITHDRAWN)
    assert ended.reference in by_status and open_case.reference not in by_status
    assert ended.reference in shown(q=ended.order.order_number)


def test_overdue_and_mine_filters(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    late = case_filed(complainant=complainant, now=timezone.now() - timedelta(days=20))
    fresh = case_filed(complainant=complainant)
    actions.case_assign(case=fresh, assignee=tom, actor=tom)
    client = logged_in(tom)
    overdue = client.get(reverse(CHANGELIST), {"deadline": "overdue"}).content.decode()
    assert late.reference in overdue and fresh.reference not in overdue
    mine = client.get(reverse(CHANGELIST), {"assigned": "mine"}).content.decode()
    assert fresh.reference in mine and late.reference not in mine


def test_take_records_the_assignment(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    run_action(logged_in(tom), "assign_to_me", [case])
    case.refresh_from_db()
    assert case.assigned_to == tom
    assert EventKind.ASSIGNED in kinds(case)


def test_request_evidence_action_pauses_and_makes_the_triager_owner(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    run_action(logged_in(tom), "request_evidence", [case], message="请补充付款截图")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_COMPLAINANT
    assert case.assigned_to == tom
    events = CaseEvent.objects.filter(case=case).order_by("seq")
    assigned = events.get(kind=EventKind.ASSIGNED)
    assert assigned.actor == tom and assigned.payload["reason"] == "first_responder"
    assert events.get(kind=EventKind.EVIDENCE_REQUESTED).actor == tom


def test_the_action_form_is_shown_before_anything_happens(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = logged_in(tom).post(
        reverse(CHANGELIST), {"action": "record_response", ACTION_CHECKBOX_NAME: [case.pk]}
    )
    assert response.status_code == 200
    assert b'name="apply"' in response.content
    assert kinds(case) == [EventKind.FILED]


def test_record_response_action(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    run_action(logged_in(tom), "record_response", [case], source="respondent", text="已补单")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESPONDED
    assert CaseEvent.objects.get(case=case, kind=EventKind.RESPONSE_RECORDED).actor == tom


def test_escalate_action_keeps_the_reason(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    run_action(logged_in(tom), "escalate_now", [case], reason="平台拒绝沟通")
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG
    event = CaseEvent.objects.get(case=case, kind=EventKind.ESCALATED)
    assert event.actor == tom and "平台拒绝沟通" in str(event.payload)


def test_resolve_action_refusal_is_a_message_per_case(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = run_action(logged_in(tom), "resolve_by_staff", [case], reason="已履行")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.reference in response.content.decode()


def test_resolve_action_after_silence(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    then = timezone.now() - timedelta(days=30)
    case = case_filed(complainant=complainant, now=then)
    actions.case_record_response(case=case, actor=tom, source="respondent", now=then)
    run_action(logged_in(tom), "resolve_by_staff", [case], reason="已履行，投诉人未回复")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RESOLVED, actor=tom).exists()


def test_first_responder_owns_the_case_and_others_cannot_act(tom, tim, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    actions.case_record_response(case=case, actor=tom, source="respondent", text="收到")
    case.refresh_from_db()
    assert case.assigned_to == tom
    assert not may_act(tim, case, Act.REQUEST_EVIDENCE)
    with pytest.raises(Forbidden):
        actions.case_request_evidence(case=case, actor=tim, message="再来一张")
    # The owner acts again without a second ASSIGNED event.
    actions.case_request_evidence(case=case, actor=tom, message="再来一张")
    assert kinds(case).count(EventKind.ASSIGNED) == 1


def test_a_triager_cannot_reassign_but_a_supervisor_can(tom, tim, suzy, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    actions.case_assign(case=case, assignee=tom, actor=tom)
    with pytest.raises(Forbidden):
        actions.case_assign(case=case, assignee=tim, actor=tim)
    with pytest.raises(Forbidden):
        check_act(tom, case, Act.REASSIGN)
    actions.case_assign(case=case, assignee=tim, actor=suzy)
    case.refresh_from_db()
    assert case.assigned_to == tim
    # The supervisor's action form lists staff and works from the admin too.
    response = run_action(logged_in(suzy), "assign_to_someone", [case], assignee=tom.pk)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.assigned_to == tom


def test_the_triager_has_no_assign_to_someone_action(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case_filed(complainant=complainant)
    body = logged_in(tom).get(reverse(CHANGELIST)).content.decode()
    assert "assign_to_someone" not in body
    assert "request_evidence" in body


def test_policies_view_only_for_triagers_editable_for_supervisors(tom, suzy, db) -> None:  # type: ignore[no-untyped-def]
    policy = DeadlinePolicy.objects.order_by("pk").first()
    url = reverse("admin:escalation_deadlinepolicy_change", args=[policy.pk])
    assert logged_in(tom).get(url).status_code == 200
    data = {
        f.name: getattr(policy, f.name) or ""
        for f in DeadlinePolicy._meta.fields
        if f.name not in ("id", "updated_at")
    }
    assert logged_in(tom).post(url, data).status_code == 403
    assert logged_in(suzy).post(url, data).status_code == 302


def test_policies_are_listed_in_ladder_order(suzy) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(suzy).get(reverse("admin:escalation_deadlinepolicy_changelist"))
    tiers = [p.tier for p in response.context["cl"].result_list]
    order = [Tier.PLATFORM, Tier.WATCHDOG, Tier.PAYMENT, Tier.LEGAL]
    assert tiers == sorted(tiers, key=order.index)


def test_the_403_is_the_admins_own_and_translated(tom) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(tom).get(reverse("admin:notifications_outboxemail_changelist"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "data-forbidden" in body
    assert "你的角色" in body


def test_drafts_are_invisible_in_admin(suzy, complainant) -> None:  # type: ignore[no-untyped-def]
    draft_bundle = bundle_create(owner=complainant, now=timezone.now())
    draft = FilingDraft.objects.create(owner=complainant, bundle=draft_bundle)
    filed = case_filed(complainant=complainant)
    client = logged_in(suzy)
    bundle_url = reverse("admin:evidence_evidencebundle_change", args=[draft_bundle.pk])
    assert client.get(bundle_url).status_code in (302, 404)
    listed = client.get(reverse("admin:evidence_evidencebundle_changelist"))
    assert list(listed.context["cl"].result_list) == [EvidenceBundle.objects.get(case=filed)]
    draft_url = reverse("admin:portal_filingdraft_change", args=[draft.pk])
    assert client.get(draft_url).status_code in (302, 404)


def test_the_case_page_tells_the_timeline_in_words(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    actions.case_request_evidence(case=case, actor=tom, message="请补充付款截图")
    url = reverse("admin:complaints_complaintcase_change", args=[case.pk])
    body = logged_in(tom).get(url).content.decode()
    assert "请补充付款截图" in body
    assert "提交投诉" in body or "Complaint filed" in body
    assert '"order_number"' not in body  # no raw JSON
    assert "完整" in body or "Intact" in body  # the hash chain
    english = logged_in(tom)
    english.cookies["django_language"] = "en"
    assert "More evidence requested" in english.get(url).content.decode()


def test_staff_without_a_role_see_nothing(db) -> None:  # type: ignore[no-untyped-def]
    stranger = StaffFactory(username="nobody")
    assert logged_in(stranger).get(reverse(CHANGELIST)).status_code == 403
    assert UserFactory().is_staff is False


def test_deadline_colours_survive_the_content_security_policy(tom, complainant) -> None:  # type: ignore[no-untyped-def]
    """The CSP allows no inline style attribute, so colours must come from the stylesheet:
    an overdue case's deadline is painted red by a class admin.css defines."""
    case_filed(complainant=complainant, now=timezone.now() - timedelta(days=10))
    response = logged_in(tom).get(reverse(CHANGELIST))
    body = response.content.decode()
    assert 'class="deadline deadline-overdue"' in body
    assert "css/admin.css" in body
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_no_inline_style_attribute_in_the_staff_pages_own_markup() -> None:
    """Where a style attribute would be silently dropped by the browser (CSP style-src
    without 'unsafe-inline'), none may be written."""
    root = Path(__file__).resolve().parents[2]
    sources = [*root.glob("staff/**/*.py"), *root.glob("templates/admin/**/*.html")]
    offenders = [
        str(p.relative_to(root)) for p in sources if re.search(r"style=['\"]", p.read_text())
    ]
    assert offenders == []


def test_the_case_page_shows_each_form_of_the_tier_as_staff_may_read_it(  # type: ignore[no-untyped-def]
    suzy, complainant
) -> None:
    """The court's form carries originals; on the admin page it is masked for staff too."""
    case = case_filed(complainant=complainant, description="卡密 ABCD-EFGH-2345-6789 已被使用")
    for _ in range(3):
        actions.case_escalate(case=case, actor=suzy, reason="", now=timezone.now())
    url = reverse("admin:complaints_complaintcase_change", args=[case.pk])
    body = logged_in(suzy).get(url).content.decode()
    assert "向消费者协会提出的调解申请书" in body and "民事起诉状(小额诉讼程序)" in body
    assert "ABCD-EFGH-2345-6789" not in body and "****6789" in body
