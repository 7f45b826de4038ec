"""Complainant and staff actions on a case, each through its service and timeline."""

import pytest
from django.contrib.auth.models import Permission

from complaints.choices import CaseStatus, EventKind
from complaints.tiers import Tier
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def act(client, case, action, body=None):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/cases/{case.pk}/{action}/", body or {}, format="json")


def kinds(case) -> list[str]:  # type: ignore[no-untyped-def]
    return list(case.events.order_by("seq").values_list("kind", flat=True))


def test_withdraw_ends_the_case_and_stops_its_clock(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    response = act(alice_api, alice_case, "withdraw", {"reason": "商家已退款"})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn"
    assert response.json()["stage"]["closed_at"] is not None
    assert kinds(alice_case)[-1] == EventKind.WITHDRAWN
    again = act(alice_api, alice_case, "withdraw")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_response_cycle_record_reject_record_accept_resolve(
    alice_api, tina_api, alice_case
) -> None:
    recorded = act(
        tina_api, alice_case, "record-response", {"source": "respondent", "text": "已补发"}
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["status"] == "responded"
    assert recorded.json()["stage"]["responded_at"] is not None

    rejected = act(alice_api, alice_case, "reject-response", {"reason": "卡密仍然无效"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "in_progress"

    act(tina_api, alice_case, "record-response", {"source": "respondent", "text": "已退款"})
    accepted = act(alice_api, alice_case, "accept-response")
    assert accepted.status_code == 200
    resolved = act(alice_api, alice_case, "resolve", {"outcome": "refund_received"})
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution_outcome"] == "refund_received"
    assert EventKind.RESPONSE_ACCEPTED in kinds(alice_case)
    assert EventKind.RESPONSE_REJECTED in kinds(alice_case)


def test_accepting_when_there_is_no_response_is_refused(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    response = act(alice_api, alice_case, "accept-response")

    assert response.status_code == 409
    assert kinds(alice_case) == [EventKind.FILED]


def test_external_reference_is_recorded_on_the_current_stage(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    response = act(alice_api, alice_case, "external-reference", {"reference": "T-20240521-88"})

    assert response.status_code == 200, response.json()
    assert response.json()["stage"]["external_reference"] == "T-20240521-88"
    assert response.json()["stage"]["filed_at"] is not None
    assert kinds(alice_case)[-1] == EventKind.EXTERNAL_REFERENCE


def test_staff_assign_request_evidence_and_escalate(tina_api, sam_api, triager, alice_case) -> None:  # type: ignore[no-untyped-def]
    assigned = act(tina_api, alice_case, "assign", {"assignee_id": triager.pk})
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["status"] == "in_progress"
    assert assigned.json()["assigned"] is True

    asked = act(tina_api, alice_case, "request-evidence", {"message": "请补充支付凭证"})
    assert asked.status_code == 200
    assert asked.json()["status"] == CaseStatus.AWAITING_COMPLAINANT

    # the triager has no escalate permission; the supervisor (superuser) has
    assert act(tina_api, alice_case, "escalate").status_code == 403
    escalated = act(sam_api, alice_case, "escalate")
    assert escalated.status_code == 200, escalated.json()
    assert escalated.json()["tier"] == Tier.WATCHDOG
    assert escalated.json()["stage"]["tier"] == Tier.WATCHDOG


def test_assigning_a_non_staff_user_is_refused(sam_api, complainant, alice_case) -> None:  # type: ignore[no-untyped-def]
    response = act(sam_api, alice_case, "assign", {"assignee_id": complainant.pk})

    assert response.status_code == 400
    assert "assigned_to" in response.json()["error"]["fields"]


def test_a_triager_cannot_give_a_case_to_someone_else(tina_api, supervisor, alice_case) -> None:  # type: ignore[no-untyped-def]
    response = act(tina_api, alice_case, "assign", {"assignee_id": supervisor.pk})

    assert response.status_code == 403


def test_complainants_cannot_use_staff_actions_even_on_their_own_case(
    alice_api, alice_case
) -> None:
    for action in ["assign", "record-response", "request-evidence", "escalate"]:
        response = act(
            alice_api, alice_case, action, {"assignee_id": 1, "source": "staff", "message": "x"}
        )
        assert response.status_code == 403, action
        assert response.json()["error"]["code"] == "permission_denied"
    assert kinds(alice_case) == [EventKind.FILED]


def test_staff_cannot_act_in_the_complainants_name(tina_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    for action in ["withdraw", "accept-response", "reject-response", "resolve"]:
        response = act(tina_api, alice_case, action, {"outcome": "none"})
        assert response.status_code == 403, action
    assert kinds(alice_case) == [EventKind.FILED]


def test_staff_permission_not_staff_flag_decides(alice_case) -> None:  # type: ignore[no-untyped-def]
    from tests.api.conftest import client_for

    plain_staff = StaffFactory(username="pat")
    assert act(client_for(plain_staff), alice_case, "escalate").status_code == 403
    plain_staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_complaintcase", "escalate_case"])
    )
    plain_staff = type(plain_staff).objects.get(pk=plain_staff.pk)  # drop the perm cache
    assert act(client_for(plain_staff), alice_case, "escalate").status_code == 200


def test_a_message_answers_a_request_for_evidence_and_restarts_the_clock(
    alice_api, tina_api, alice_case
) -> None:
    act(tina_api, alice_case, "request-evidence", {"message": "请补充支付凭证"})
    assert alice_case.stages.get().paused_at is not None

    response = act(alice_api, alice_case, "message", {"text": "已上传支付宝账单截图"})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_progress"
    assert response.json()["stage"]["paused_at"] is None
    assert EventKind.MESSAGE in kinds(alice_case)
    assert act(alice_api, alice_case, "message", {"text": "  "}).status_code == 400
