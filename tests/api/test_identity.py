"""The API takes what the wizard asks (the payee on the bill, the supplier) and shows the
case's answers in words and what the documents ahead still need."""

import pytest
from django.core.management import call_command

from complaints.choices import EventKind, ProblemType
from complaints.models import ComplaintCase, Profile
from tests.api.conftest import client_for
from tests.factories import OrderFactory, case_filed

pytestmark = pytest.mark.django_db

NEW_ORDER = {
    "platform_name": "星辰卡盟",
    "order_number": "20240521001",
    "product_name": "王者荣耀 点券 600",
    "product_kind": "top_up",
    "amount": "60.00",
    "payment_method": "alipay",
    "merchant_on_bill": "深圳市某某网络科技有限公司",
    "supplier_name": "某供货商",
}
BODY = {
    "problem_type": "network_error",
    "description": "下单时页面提示网络错误，但支付宝已扣款。",
    "demand": {"kind": "refund", "within_hours": 24},
    "risk_signals": ["new_ip", "coupon"],
    "order": NEW_ORDER,
}


def test_filing_takes_the_payee_and_supplier_and_shows_the_answers_in_words(
    alice_api, complainant
) -> None:
    response = alice_api.post("/api/v1/cases/", BODY, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["order"]["merchant_on_bill"] == "深圳市某某网络科技有限公司"
    assert data["order"]["supplier_name"] == "某供货商"
    assert data["risk_signals"] == [
        {"code": "coupon", "label": "It came after I used a coupon"},
        {"code": "new_ip", "label": "It came from a new IP address or device"},
    ]
    assert data["other_proceedings"] == {"code": "", "label": "Not answered"}
    assert [n["field"] for n in data["document_needs"]] == [
        "name",
        "phone",
        "address",
        "other_proceedings",
    ]
    need = data["document_needs"][2]
    assert need["tier"] == "watchdog"
    assert need["why"] == (
        "12315 accepts a complaint only with your name, phone and postal address."
    )
    case = ComplaintCase.objects.get(pk=data["id"])
    assert case.order.merchant_on_bill == "深圳市某某网络科技有限公司"


def test_an_order_created_alone_takes_the_payee(alice_api) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.post("/api/v1/orders/", NEW_ORDER, format="json")
    assert response.status_code == 201
    assert response.json()["merchant_on_bill"] == "深圳市某某网络科技有限公司"


def test_the_labels_and_reasons_follow_the_request_language(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(
        complainant=complainant,
        problem_type=ProblemType.NETWORK_ERROR,
        risk_signals=["many_orders"],
        other_proceedings="no",
    )
    client = client_for(complainant)
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    data = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert data["risk_signals"][0]["code"] == "many_orders"
    assert data["other_proceedings"] == {"code": "no", "label": "否"}
    assert "12315" in data["document_needs"][0]["why"]
    assert "姓名" in data["document_needs"][0]["why"]


def test_the_list_shows_the_answers_without_the_needs(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    [row] = alice_api.get("/api/v1/cases/").json()["results"]
    assert row["other_proceedings"]["code"] == ""
    assert row["order"]["merchant_on_bill"] == ""
    assert "document_needs" not in row  # one case's needs read its complainant's profile


def test_giving_the_details_over_the_api(alice_api, alice_case, complainant) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.post(
        f"/api/v1/cases/{alice_case.pk}/details/",
        {
            "name": "王小明",
            "phone": "13812345678",
            "address": "广东省深圳市南山区某某路 1 号",
            "other_proceedings": "no",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["document_needs"] == []
    assert response.json()["other_proceedings"] == {"code": "no", "label": "No"}
    assert Profile.objects.get(user=complainant).address == "广东省深圳市南山区某某路 1 号"
    assert alice_case.events.filter(kind=EventKind.AMENDED).count() == 1


def test_a_refused_detail_names_its_field_and_saves_nothing(
    alice_api, alice_case, complainant
) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.post(
        f"/api/v1/cases/{alice_case.pk}/details/",
        {"name": "王小明", "phone": "call me", "other_proceedings": "no"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"phone": ["Enter a phone number, digits only."]}
    assert not Profile.objects.filter(user=complainant).exists()
    assert not alice_case.events.filter(kind=EventKind.AMENDED).exists()


def test_staff_cannot_give_a_complainants_details(tina_api, alice_case, complainant) -> None:  # type: ignore[no-untyped-def]
    response = tina_api.post(
        f"/api/v1/cases/{alice_case.pk}/details/", {"name": "某人"}, format="json"
    )
    assert response.status_code == 403
    assert not Profile.objects.filter(user=complainant).exists()


def test_the_schema_documents_the_new_fields(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for name in (
        "merchant_on_bill",
        "document_needs",
        "DocumentNeedOutput",
        "RiskSignalOutput",
        "OtherProceedingsOutput",
        "/api/v1/cases/{case_id}/details/",
    ):
        assert name in text, name


def test_an_existing_order_keeps_its_empty_payee(alice_api, complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant)
    data = alice_api.get(f"/api/v1/orders/{order.pk}/").json()
    assert data["merchant_on_bill"] == "" and data["supplier_name"] == ""
