"""Filing, listing and reading cases over the API."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints.choices import CaseStatus, EventKind
from complaints.models import ComplaintCase, Order
from tests.factories import OrderFactory, PlatformFactory, case_filed

pytestmark = pytest.mark.django_db

NEW_ORDER = {
    "platform_name": "星辰卡盟",
    "order_number": "20240521001",
    "product_name": "王者荣耀 点券 600",
    "product_kind": "top_up",
    "amount": "60.00",
    "payment_method": "alipay",
}


def case_body(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "problem_type": "lost_order_unsynced",
        "description": "付款成功但订单一直显示待付款",
        "demand": {"kind": "refund", "text": "24 小时内原路退款", "within_hours": 24},
        "order": dict(NEW_ORDER),
    }
    body.update(overrides)
    return body


def test_filing_with_a_nested_order_creates_the_order_case_and_first_event(
    alice_api, complainant
) -> None:
    response = alice_api.post("/api/v1/cases/", case_body(), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["reference"].startswith("KM-")
    assert data["status"] == "submitted"
    assert data["tier"] == "platform"
    assert data["demand"]["kind"] == "refund"
    assert data["order"]["order_number"] == "20240521001"
    assert data["order"]["platform"]["name"] == "星辰卡盟"
    assert data["stage"]["tier"] == "platform"
    assert data["stage"]["first_response_due_at"] is not None
    case = ComplaintCase.objects.get(pk=data["id"])
    assert case.complainant == complainant
    assert list(case.events.values_list("kind", flat=True)) == [EventKind.FILED]


def test_filing_with_an_existing_order_id(alice_api, complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant)
    body = case_body(order_id=order.pk)
    del body["order"]

    response = alice_api.post("/api/v1/cases/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["order"]["id"] == order.pk
    assert Order.objects.count() == 1


def test_filing_with_someone_elses_order_is_refused_and_writes_nothing(alice_api, outsider) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=outsider)
    body = case_body(order_id=order.pk)
    del body["order"]

    response = alice_api.post("/api/v1/cases/", body, format="json")

    assert response.status_code == 400
    assert "order_id" in response.json()["error"]["fields"]
    assert ComplaintCase.objects.count() == 0


def test_filing_with_both_or_neither_order_form_is_refused(alice_api, complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant)
    both = alice_api.post("/api/v1/cases/", case_body(order_id=order.pk), format="json")
    body = case_body()
    del body["order"]
    neither = alice_api.post("/api/v1/cases/", body, format="json")

    assert both.status_code == neither.status_code == 400
    assert ComplaintCase.objects.count() == 0


def test_a_bad_nested_order_creates_neither_order_nor_case(alice_api) -> None:  # type: ignore[no-untyped-def]
    body = case_body(order={**NEW_ORDER, "amount": "0.00"})

    response = alice_api.post("/api/v1/cases/", body, format="json")

    assert response.status_code == 400
    assert "amount" in response.json()["error"]["fields"]["order"]
    assert Order.objects.count() == 0


def test_list_shows_only_own_cases_and_detail_of_another_is_404(
    alice_api, alice_case, mallory_case
) -> None:
    listed = alice_api.get("/api/v1/cases/").json()

    assert [c["reference"] for c in listed["results"]] == [alice_case.reference]
    assert alice_api.get(f"/api/v1/cases/{alice_case.pk}/").status_code == 200
    assert alice_api.get(f"/api/v1/cases/{mallory_case.pk}/").status_code == 404
    assert alice_api.get("/api/v1/cases/999999/").status_code == 404


def test_staff_with_view_permission_see_every_case(tina_api, alice_case, mallory_case) -> None:  # type: ignore[no-untyped-def]
    listed = tina_api.get("/api/v1/cases/").json()

    assert {c["id"] for c in listed["results"]} == {alice_case.pk, mallory_case.pk}


def test_filters_by_status_tier_and_overdue(alice_api, complainant) -> None:  # type: ignore[no-untyped-def]
    start = timezone.now() - timedelta(days=3)
    old = case_filed(complainant=complainant, now=start)
    fresh = case_filed(complainant=complainant)
    withdrawn = case_filed(complainant=complainant)
    alice_api.post(f"/api/v1/cases/{withdrawn.pk}/withdraw/", {}, format="json")

    def ids(query: str) -> set[int]:
        return {c["id"] for c in alice_api.get(f"/api/v1/cases/?{query}").json()["results"]}

    assert ids("status=submitted") == {old.pk, fresh.pk}
    assert ids("status=withdrawn") == {withdrawn.pk}
    assert ids("tier=platform") == {old.pk, fresh.pk, withdrawn.pk}
    assert ids("tier=watchdog") == set()
    assert ids("overdue=true") == {old.pk}
    assert ids("overdue=false") == {fresh.pk, withdrawn.pk}
    bad = alice_api.get("/api/v1/cases/?status=nonsense")
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]["fields"]


def test_overdue_flips_exactly_at_the_first_response_deadline(alice_api, complainant) -> None:  # type: ignore[no-untyped-def]
    filed_at = timezone.now().replace(microsecond=0)
    case = case_filed(complainant=complainant, now=filed_at)
    due = case.stages.get().first_response_due_at

    for moment, expected in [
        (due - timedelta(seconds=1), False),
        (due, True),
        (due + timedelta(seconds=1), True),
    ]:
        with time_machine.travel(moment, tick=False):
            data = alice_api.get(f"/api/v1/cases/{case.pk}/").json()
            assert data["overdue"] is expected, moment


def test_cursor_pagination_walks_every_case_once(alice_api, complainant) -> None:  # type: ignore[no-untyped-def]
    filed = {case_filed(complainant=complainant).pk for _ in range(5)}
    seen: list[int] = []
    url = "/api/v1/cases/?page_size=2"
    while url:
        page = alice_api.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]

    assert sorted(seen) == sorted(filed)
    assert alice_api.get("/api/v1/cases/?cursor=garbage").status_code == 404


def test_events_show_the_hash_chain(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    alice_api.post(f"/api/v1/cases/{alice_case.pk}/withdraw/", {"reason": "已退款"}, format="json")

    events = alice_api.get(f"/api/v1/cases/{alice_case.pk}/events/").json()["results"]

    assert [e["kind"] for e in events] == ["filed", "withdrawn"]
    assert events[0]["prev_hash"] == ""
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert len(events[1]["hash"]) == 64


def test_a_case_filed_over_the_api_is_listed_in_status_submitted(alice_api) -> None:  # type: ignore[no-untyped-def]
    created = alice_api.post("/api/v1/cases/", case_body(), format="json").json()

    assert alice_api.get("/api/v1/cases/").json()["results"][0]["id"] == created["id"]
    assert ComplaintCase.objects.get().status == CaseStatus.SUBMITTED


def test_platform_search_and_orders(alice_api, mallory_api, complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    PlatformFactory(name="星辰卡盟")
    PlatformFactory(name="月光发卡网")
    found = alice_api.get("/api/v1/platforms/?search=星辰").json()["results"]
    assert [p["name"] for p in found] == ["星辰卡盟"]
    detail = alice_api.get(f"/api/v1/platforms/{found[0]['id']}/")
    assert detail.json()["name"] == "星辰卡盟"
    assert alice_api.get("/api/v1/platforms/987654/").status_code == 404

    created = alice_api.post("/api/v1/orders/", NEW_ORDER, format="json")
    assert created.status_code == 201, created.json()
    order_id = created.json()["id"]
    assert [o["id"] for o in alice_api.get("/api/v1/orders/").json()["results"]] == [order_id]
    assert alice_api.get(f"/api/v1/orders/{order_id}/").status_code == 200
    assert mallory_api.get(f"/api/v1/orders/{order_id}/").status_code == 404
    assert mallory_api.get("/api/v1/orders/").json()["results"] == []


def test_an_order_with_a_float_like_or_negative_amount_is_refused(alice_api) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.post("/api/v1/orders/", {**NEW_ORDER, "amount": "-5"}, format="json")

    assert response.status_code == 400
    assert "amount" in response.json()["error"]["fields"]
    assert Order.objects.count() == 0


def test_the_case_list_costs_the_same_queries_for_3_or_9_cases(
    alice_api, complainant, django_assert_num_queries
) -> None:
    from complaints.models import Merchant

    platform = PlatformFactory()
    merchant = Merchant.objects.create(platform=platform, name="某商家")

    def file(n: int) -> None:
        for _ in range(n):
            case_filed(
                complainant=complainant,
                order=OrderFactory(owner=complainant, platform=platform, merchant=merchant),
            )

    file(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as three:
        assert len(alice_api.get("/api/v1/cases/").json()["results"]) == 3
    file(6)
    with django_assert_num_queries(len(three)):
        assert len(alice_api.get("/api/v1/cases/").json()["results"]) == 9


def test_the_api_refuses_the_demand_the_portal_refuses_and_writes_nothing(alice_api) -> None:  # type: ignore[no-untyped-def]
    no_amount = {"kind": "refund_compensation", "text": "", "within_hours": 24}
    response = alice_api.post("/api/v1/cases/", case_body(demand=no_amount), format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["demand_amount"] == ["Say how much you ask for, refund plus compensation."]
    vague = {"kind": "other", "text": "  ", "within_hours": 24}
    response = alice_api.post("/api/v1/cases/", case_body(demand=vague), format="json")
    assert response.json()["error"]["fields"]["demand_text"] == ["Say what you ask for."]
    assert ComplaintCase.objects.count() == 0


def test_the_api_refuses_a_payment_or_harm_in_the_future(alice_api) -> None:  # type: ignore[no-untyped-def]
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    order = alice_api.post("/api/v1/orders/", {**NEW_ORDER, "paid_at": tomorrow}, format="json")
    assert order.status_code == 400
    assert order.json()["error"]["fields"]["paid_at"] == ["This time is in the future."]
    case = alice_api.post("/api/v1/cases/", case_body(harm_noticed_at=tomorrow), format="json")
    assert case.status_code == 400
    assert case.json()["error"]["fields"]["harm_noticed_at"] == ["This time is in the future."]
    assert Order.objects.count() == 0
    assert ComplaintCase.objects.count() == 0
