"""The portal and the API refuse the same lifecycle inputs, on the same fields."""

from django.urls import reverse

from casework import actions
from complaints.choices import CaseStatus, EventKind, Urgency
from complaints.models import ComplaintCase
from tests.api.conftest import client_for as api_client_for
from tests.factories import case_filed
from tests.portal.conftest import client_for
from tests.portal.helpers import DEMAND, ORDER, PROBLEM, post_step, step_url


def test_the_wizard_suggests_urgent_for_a_lost_order_and_needs_a_reason(complainant) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant)
    post_step(client, 1, ORDER)
    post_step(client, 2, PROBLEM)  # a lost order
    client.post(step_url(3), {"next": "1"})
    page = client.get(step_url(4))
    assert page.context["form"].initial["urgency"] == Urgency.URGENT
    assert "data-urgency-suggested" in page.content.decode()
    refused = post_step(client, 4, {**DEMAND, "urgency": "urgent", "urgency_reason": "  "})
    assert refused.status_code == 400
    assert "urgency_reason" in refused.context["form"].errors
    assert (
        post_step(client, 4, {**DEMAND, "urgency": "urgent", "urgency_reason": "急用"}).status_code
        == 302
    )
    client.post(step_url(5), {"submit": "1"})
    case = ComplaintCase.objects.get(complainant=complainant)
    assert (case.urgency, case.urgency_reason) == (Urgency.URGENT, "急用")
    detail = client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()
    assert "急用" in detail


def test_the_wizard_does_not_suggest_urgent_for_a_plain_card_key(complainant) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant)
    post_step(client, 1, ORDER)
    post_step(
        client,
        2,
        {
            **PROBLEM,
            "problem_type": "invalid_card_key",
            "description": "卡密无效,激活时提示已被使用",
        },
    )
    client.post(step_url(3), {"next": "1"})
    page = client.get(step_url(4))
    assert not page.context["urgency_suggested"]


def test_the_api_refuses_urgent_without_a_reason_on_the_same_field(complainant) -> None:  # type: ignore[no-untyped-def]
    body = {
        "problem_type": "lost_order_stuck",
        "description": "订单一直处理中",
        "demand": {"kind": "refund"},
        "urgency": "urgent",
        "urgency_reason": " ",
        "order": {
            "platform_name": "星辰卡盟",
            "order_number": "1",
            "product_name": "点券",
            "amount": "9.90",
        },
    }
    api = api_client_for(complainant)
    refused = api.post("/api/v1/cases/", body, format="json")
    assert refused.status_code == 400
    assert "urgency_reason" in refused.json()["error"]["fields"]
    filed = api.post("/api/v1/cases/", {**body, "urgency_reason": "急用"}, format="json")
    assert filed.status_code == 201 and filed.json()["urgency_reason"] == "急用"


def test_reject_without_a_reason_is_refused_on_the_reason_field_in_portal_and_api(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant)
    actions.case_record_response(case=case, actor=triager, source="respondent")
    page = client_for(complainant).post(
        reverse("portal:case_reject_response", args=[case.reference]), {"reason": "   "}
    )
    assert page.status_code == 400 and "reason" in page.context["forms"]["reject"].errors
    api = api_client_for(complainant).post(
        f"/api/v1/cases/{case.pk}/reject-response/", {"reason": " "}, format="json"
    )
    assert api.status_code == 400 and "reason" in api.json()["error"]["fields"]
    assert ComplaintCase.objects.get(pk=case.pk).status == CaseStatus.RESPONDED


def test_amend_and_reopen_through_portal_and_api(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    client = client_for(complainant)
    url = reverse("portal:case_amend", args=[case.reference])
    refused = client.post(url, {"field": "description", "value": "新的描述内容", "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.context["forms"]["amend"].errors
    api = api_client_for(complainant)
    refused = api.post(
        f"/api/v1/cases/{case.pk}/amend/",
        {"field": "description", "value": "新的描述内容", "reason": " "},
        format="json",
    )
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    assert (
        client.post(
            url, {"field": "description", "value": "新的描述内容", "reason": "补充"}
        ).status_code
        == 302
    )
    page = client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()
    assert "data-amended" in page and "新的描述内容" in page
    actions.case_resolve(case=case, actor=complainant)
    assert (
        api.post(f"/api/v1/cases/{case.pk}/reopen/", {"reason": ""}, format="json").status_code
        == 400
    )
    reopened = client.post(
        reverse("portal:case_reopen", args=[case.reference]), {"reason": "没到账"}
    )
    assert reopened.status_code == 302
    assert ComplaintCase.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    assert case.events.filter(kind=EventKind.REOPENED).count() == 1


def test_the_resolve_form_offers_no_unresolved_outcome(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    client = client_for(complainant)
    page = client.get(reverse("portal:case_detail", args=[case.reference]))
    offered = [value for value, _ in page.context["forms"]["resolve"].fields["outcome"].choices]
    assert "none" not in offered and "gave_up" not in offered and "resolved" in offered
    refused = client.post(
        reverse("portal:case_resolve", args=[case.reference]), {"outcome": "none"}
    )
    assert refused.status_code == 400
