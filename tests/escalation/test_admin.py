"""Supervisors edit deadline policies and recalculate stages in admin; others cannot."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework import actions
from complaints.choices import CaseStatus, EventKind, Urgency
from complaints.errors import InvalidTransition, NotFound
from complaints.tiers import Tier
from escalation.deadlines import calendar_last_year
from escalation.models import DeadlinePolicy
from escalation.selectors import stage_current
from tests.factories import case_filed


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_supervisor_sees_the_policies_with_their_sources_and_the_calendar_limit(supervisor) -> None:  # type: ignore[no-untyped-def]
    client = _client(supervisor)
    response = client.get(reverse("admin:escalation_deadlinepolicy_changelist"), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert str(calendar_last_year()) in page
    policy = DeadlinePolicy.objects.get(tier=Tier.WATCHDOG, urgency=Urgency.NORMAL)
    assert (policy.first_response_amount, policy.first_response_unit) == (7, "working_days")
    page = client.get(
        reverse("admin:escalation_deadlinepolicy_change", args=[policy.pk])
    ).content.decode()
    assert "第十四条" in page  # the help text cites the 12315 rule (zh-hans by default)


def test_supervisor_edits_a_policy_in_admin(supervisor) -> None:  # type: ignore[no-untyped-def]
    policy = DeadlinePolicy.objects.get(tier=Tier.PAYMENT, urgency=Urgency.NORMAL)
    response = _client(supervisor).post(
        reverse("admin:escalation_deadlinepolicy_change", args=[policy.pk]),
        {
            "tier": Tier.PAYMENT,
            "urgency": Urgency.NORMAL,
            "first_response_amount": "12",
            "first_response_unit": "hours",
            "update_amount": "",
            "update_unit": "hours",
            "resolution_amount": "3",
            "resolution_unit": "working_days",
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.first_response_amount, policy.resolution_unit) == (12, "working_days")


def test_triager_cannot_edit_policies_or_recalculate(triager) -> None:  # type: ignore[no-untyped-def]
    client = _client(triager)
    assert client.get(reverse("admin:escalation_deadlinepolicy_changelist")).status_code == 403


def test_recalculation_action_moves_promised_deadlines(supervisor, complainant) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    case = case_filed(complainant=complainant, now=now)
    DeadlinePolicy.objects.filter(tier=Tier.PLATFORM, urgency=Urgency.NORMAL).update(
        first_response_amount=6
    )
    stage = stage_current(case)
    _client(supervisor).post(
        reverse("admin:escalation_tierstage_changelist"),
        {"action": "recalculate_deadlines", "_selected_action": [stage.pk]},
    )
    stage.refresh_from_db()
    assert stage.first_response_due_at == now + timedelta(hours=6)
    assert case.events.filter(kind=EventKind.DEADLINE_WARNING, actor=supervisor).exists()


def test_accepting_and_rejecting_a_response_is_the_complainants_alone(  # type: ignore[no-untyped-def]
    complainant, outsider, triager
) -> None:
    case = case_filed(complainant=complainant)
    actions.case_record_response(case=case, actor=triager, source="respondent", text="已退款")
    for act in (actions.case_accept_response, actions.case_reject_response):
        with pytest.raises(NotFound):
            act(case=case, actor=outsider)
    actions.case_reject_response(case=case, actor=complainant, reason="没有收到退款")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    with pytest.raises(InvalidTransition):
        actions.case_accept_response(case=case, actor=complainant)


def test_bad_input_is_refused_in_the_users_language_and_changes_nothing(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    from django.utils import translation

    from complaints.errors import InvalidInput

    case = case_filed(complainant=complainant)
    events = case.events.count()
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        actions.case_request_evidence(case=case, actor=triager, message="  ")
    assert refused.value.fields == {"message": ["请说明需要补充哪些证据。"]}
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.events.count() == events
    assert stage_current(case).paused_at is None
