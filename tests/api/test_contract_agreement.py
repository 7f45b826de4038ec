"""The API does what its schema says, class by class of the disagreements schemathesis found
(bench/schemathesis_api.sh): what the schema calls invalid is refused, what it calls
valid is accepted, and a refusal that depends on the case's state is a documented 409."""

import inspect
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
from django.core.validators import URLValidator
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from rest_framework import serializers

import api.views.actions
import api.views.auth
import api.views.bundles
import api.views.cases
import api.views.catalogue
import api.views.webhooks
from api.serializers import (
    EvidenceUploadInputSerializer,
    HttpsUrlField,
    MoneyField,
    TextField,
    WholeNumberField,
)
from casework import actions
from complaints.choices import DemandKind, ProblemType
from complaints.tiers import Tier
from tests.api.conftest import client_for
from tests.api.files import png_bytes, png_upload
from tests.factories import OrderFactory, PlatformFactory, case_filed

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def says_valid(schema: dict, component: str, body: Any) -> bool:
    """Whether the schema's request component accepts ``body`` (JSON Schema draft 4, as
    OpenAPI 3.0 and schemathesis read it)."""
    registry = Registry().with_resource(
        "urn:api", Resource.from_contents(schema, default_specification=DRAFT4)
    )
    validator = Draft4Validator(
        {"$ref": f"urn:api#/components/schemas/{component}"}, registry=registry
    )
    return validator.is_valid(body)


def error_fields(response) -> dict:  # type: ignore[no-untyped-def]
    return response.json()["error"]["fields"]


# 1. A value of the wrong JSON type is refused, not converted (DRF's fields coerce)


def _input_serializers() -> list[type[serializers.Serializer]]:
    found: list[type[serializers.Serializer]] = [EvidenceUploadInputSerializer]
    modules = (
        api.views.actions,
        api.views.auth,
        api.views.bundles,
        api.views.cases,
        api.views.catalogue,
        api.views.webhooks,
    )
    for module in modules:
        for _, view in inspect.getmembers(module, inspect.isclass):
            serializer = getattr(view, "InputSerializer", None)
            if inspect.isclass(serializer) and issubclass(serializer, serializers.Serializer):
                found.append(serializer)
    found += [api.views.cases.DemandInputSerializer, api.views.catalogue.OrderInputSerializer]
    return found


def _fields(serializer: type[serializers.Serializer]):  # type: ignore[no-untyped-def]
    for name, field in serializer._declared_fields.items():  # type: ignore[attr-defined]
        yield f"{serializer.__qualname__}.{name}", field
        child = getattr(field, "child", None)
        if child is not None:
            yield f"{serializer.__qualname__}.{name}[]", child


def test_request_fields_take_only_their_own_json_type() -> None:
    coercing = {
        serializers.CharField: TextField,
        serializers.DecimalField: MoneyField,
        serializers.IntegerField: WholeNumberField,
    }
    loose = [
        (where, type(field).__name__, coercing[type(field)].__name__)
        for serializer in _input_serializers()
        for where, field in _fields(serializer)
        if type(field) in coercing
    ]
    assert loose == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/orders/", {"supplier_name": 0}, "supplier_name"),
        ("/api/v1/orders/", {"amount": 30}, "amount"),
        ("/api/v1/cases/{case}/message/", {"text": 0}, "text"),
        ("/api/v1/cases/{case}/resolve/", {"note": 0}, "note"),
        ("/api/v1/cases/{case}/amend/", {"field": "description", "value": 0}, "value"),
        ("/api/v1/cases/{case}/amend/", {"field": "demand_within_hours", "value": "48"}, "value"),
    ],
)
def test_a_number_for_text_or_text_for_a_number_is_a_400(  # type: ignore[no-untyped-def]
    complainant, alice_api, path, body, field
) -> None:
    case = case_filed(complainant=complainant)
    base = {
        "/api/v1/orders/": {
            "platform_id": PlatformFactory().pk,
            "order_number": "20240521001",
            "product_name": "点券",
            "amount": "9.90",
        },
        "/api/v1/cases/{case}/amend/": {"reason": "抄错了"},
    }.get(path, {})
    response = alice_api.post(path.format(case=case.pk), {**base, **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response)


@pytest.mark.parametrize("amount", [" 30.00", "3e1", "3_0", "30.001", "", "+30"])
def test_an_amount_is_written_as_the_schema_pattern_says(alice_api, amount) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.post(
        "/api/v1/orders/",
        {
            "platform_id": PlatformFactory().pk,
            "order_number": "1",
            "product_name": "点券",
            "amount": amount,
        },
        format="json",
    )
    assert response.status_code == 400 and "amount" in error_fields(response)


# 2. A query parameter outside its values is a 400, not silently dropped


@pytest.mark.parametrize(
    "query",
    ["?overdue=null", "?overdue=", "?overdue=yes", "/documents/?language=", "/package/?for=AAA"],
)
def test_a_query_parameter_outside_its_values_is_refused(complainant, alice_api, query) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    path = f"/api/v1/cases/{case.pk}{query}" if query.startswith("/") else f"/api/v1/cases/{query}"
    response = alice_api.get(path)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "query", ["?overdue=true", "?overdue=false", "/documents/?language=en", "/package/?for=court"]
)
def test_the_query_values_the_schema_gives_are_accepted(complainant, alice_api, query) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    path = f"/api/v1/cases/{case.pk}{query}" if query.startswith("/") else f"/api/v1/cases/{query}"
    assert alice_api.get(path).status_code == 200


def test_parameters_the_schema_does_not_name_are_ignored(complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    case_filed(complainant=complainant)
    response = alice_api.get("/api/v1/cases/?utm_source=mail", HTTP_X_REQUEST_ID="42")
    assert response.status_code == 200 and len(response.json()["results"]) == 1


# 3. What an action requires, the schema requires


@pytest.mark.parametrize("action", ["reject-response", "reopen", "resolve-by-staff", "amend"])
def test_a_required_reason_is_required_in_the_schema(schema, action) -> None:  # type: ignore[no-untyped-def]
    body = schema["paths"][f"/api/v1/cases/{{case_id}}/{action}/"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "reason" in component["required"]
    assert component["properties"]["reason"]["pattern"] == r"^[^\u0000]*\S[^\u0000]*$"


# 4. Rules across fields are in the schema, and the server agrees with it


@pytest.mark.parametrize(
    ("demand", "valid"),
    [
        ({"kind": "other"}, False),
        ({"kind": "other", "text": "  "}, False),
        ({"kind": "other", "text": "书面道歉"}, True),
        ({"kind": "refund_compensation"}, False),
        ({"kind": "refund_compensation", "amount": "50.00"}, True),
        ({"kind": "refund"}, True),
    ],
)
def test_the_demand_rule_is_the_schemas(schema, complainant, alice_api, demand, valid) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant)
    body = {"problem_type": "not_delivered", "description": "没发货", "demand": demand}
    assert says_valid(schema, "CaseListCreateApiInputRequest", {**body, "order_id": 1}) is valid
    response = alice_api.post("/api/v1/cases/", {**body, "order_id": order.pk}, format="json")
    assert (response.status_code == 201) is valid, response.content


@pytest.mark.parametrize(
    ("extra", "valid"),
    [
        ({"urgency": "urgent"}, False),
        ({"urgency": "urgent", "urgency_reason": "今晚活动结束"}, True),
        ({"risk_signals": ["coupon"]}, False),
        ({"problem_type": "network_error", "risk_signals": ["coupon"]}, True),
        ({"risk_signals": ["vpn"], "problem_type": "network_error"}, False),
        ({"other_proceedings": "maybe"}, False),
        ({"other_proceedings": ""}, True),
    ],
)
def test_urgency_risk_and_proceedings_rules_are_the_schemas(  # type: ignore[no-untyped-def]
    schema, complainant, alice_api, extra, valid
) -> None:
    order = OrderFactory(owner=complainant)
    body = {
        "problem_type": "not_delivered",
        "description": "没发货",
        "demand": {"kind": "refund"},
        **extra,
    }
    assert says_valid(schema, "CaseListCreateApiInputRequest", {**body, "order_id": 1}) is valid
    response = alice_api.post("/api/v1/cases/", {**body, "order_id": order.pk}, format="json")
    assert (response.status_code == 201) is valid, response.content


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("demand_within_hours", 48, True),
        ("demand_within_hours", 721, False),
        ("demand_amount", "30.00", True),
        ("demand_amount", "30.001", False),
        ("order.amount", "0.00", False),
        ("order.amount", "12.50", True),
        ("order.paid_at", "2024-05-21T10:15:00+08:00", True),
        ("order.paid_at", "0108-01-20T09:08:31+12:02", False),
        ("description", "   ", False),
        ("order.payment_reference", "ALI-20240521-0001", True),
        ("order.payment_reference", "x" * 129, False),
    ],
)
def test_an_amended_value_is_read_as_filing_reads_its_field(  # type: ignore[no-untyped-def]
    schema, complainant, alice_api, field, value, valid
) -> None:
    case = case_filed(complainant=complainant)
    body = {"field": field, "value": value, "reason": "更正"}
    assert says_valid(schema, "CaseAmendApiInputRequest", body) is valid
    response = alice_api.post(f"/api/v1/cases/{case.pk}/amend/", body, format="json")
    assert (response.status_code == 200) is valid, response.content


def test_a_demanded_amount_is_cleared_with_null_and_nothing_else_is_null(  # type: ignore[no-untyped-def]
    complainant, alice_api
) -> None:
    case = case_filed(complainant=complainant, demand_amount="20.00")
    url = f"/api/v1/cases/{case.pk}/amend/"
    cleared = alice_api.post(
        url, {"field": "demand_amount", "value": None, "reason": "不要赔偿了"}, format="json"
    )
    assert cleared.status_code == 200 and cleared.json()["demand"]["amount"] is None
    refused = alice_api.post(
        url, {"field": "description", "value": None, "reason": "x"}, format="json"
    )
    assert refused.status_code == 400 and "value" in error_fields(refused)


@pytest.mark.parametrize(
    "moment",
    [
        "0108-01-20T09:08:31+12:02",
        "2101-01-01T00:00:00Z",
        "2024-05-21",  # a date
        "2024-05-21T10:15:00",  # no offset
        "20240521T101500+0800",  # ISO 8601's basic format
        "2024-05-21T10:15:00.1234567+08:00",  # finer than microseconds
    ],
)
def test_moments_not_in_rfc_3339_or_outside_1970_to_2100_are_refused(  # type: ignore[no-untyped-def]
    schema, complainant, alice_api, moment
) -> None:
    """Year 108 in Shanghai is +08:05:43 local mean time, which no RFC 3339 offset writes:
    accepted, it came back in the case as an invalid date-time. The others Python reads,
    the schema's date-time does not."""
    body = {"reference": "12315-1", "filed_at": moment}
    assert not says_valid(schema, "CaseExternalReferenceApiInputRequest", body)
    case = case_filed(complainant=complainant)
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/external-reference/",
        {"reference": "12315-1", "filed_at": moment},
        format="json",
    )
    assert response.status_code == 400 and "filed_at" in error_fields(response)


def test_a_blank_allowed_text_lets_blank_through_the_schema(schema) -> None:  # type: ignore[no-untyped-def]
    """drf-spectacular offers "" as a second branch of a ``oneOf``; the first must not
    match "" too, or "" matches both and the schema refuses what the API accepts."""
    both = [
        (component, name)
        for component, body in schema["components"]["schemas"].items()
        for name, prop in body.get("properties", {}).items()
        if "oneOf" in prop
        and not any("$ref" in branch for branch in prop["oneOf"])  # enums: "" is BlankEnum
        and Draft4Validator({"properties": {"v": prop}}).is_valid({"v": ""}) is False
    ]
    assert both == []


def test_an_empty_moment_in_an_upload_form_means_not_given(schema, complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"kind": "payment_voucher", "file": png_upload(), "occurred_at": ""},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["occurred_at"] is None
    prop = schema["components"]["schemas"]["EvidenceUploadInputRequest"]["properties"]
    assert Draft4Validator({"properties": {"v": prop["occurred_at"]}}).is_valid({"v": ""})


# 5. A refusal that depends on the case's state is a 409 the schema documents


def _at(tier: str, case, actor) -> None:  # type: ignore[no-untyped-def]
    while case.tier != tier:
        actions.case_escalate_by_staff(case=case, actor=actor, reason="测试")
        case.refresh_from_db()


@pytest.mark.parametrize(
    ("tier", "path", "body", "field"),
    [
        (
            Tier.PLATFORM,
            "record-acceptance",
            {"accepted_at": "2026-01-05T10:00:00+08:00"},
            "accepted_at",
        ),
        (
            Tier.PLATFORM,
            "external-reference",
            {"reference": "T-1", "expires_at": "2099-01-05T10:00:00+08:00"},
            "expires_at",
        ),
        (Tier.LEGAL, "escalate", {"reason": "再升级"}, "tier"),
    ],
)
def test_a_step_the_current_tier_does_not_have_is_a_409(  # type: ignore[no-untyped-def]
    schema, supervisor, tier, path, body, field
) -> None:
    case = case_filed(complainant=supervisor)
    _at(tier, case, supervisor)
    response = client_for(supervisor).post(f"/api/v1/cases/{case.pk}/{path}/", body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "conflict"
    assert field in error_fields(response)
    assert "409" in schema["paths"][f"/api/v1/cases/{{case_id}}/{path}/"]["post"]["responses"]


def test_a_correction_to_the_value_already_held_is_a_409(complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/amend/",
        {"field": "description", "value": case.description, "reason": "再提交一次"},
        format="json",
    )
    assert response.status_code == 409 and "value" in error_fields(response)


def test_a_correction_the_demand_kind_refuses_is_a_409(complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(
        complainant=complainant,
        problem_type=ProblemType.NOT_DELIVERED,
        demand_kind=DemandKind.OTHER,
        demand_text="书面道歉",
    )
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/amend/",
        {"field": "demand_text", "value": "", "reason": "删掉"},
        format="json",
    )
    assert response.status_code == 409 and "value" in error_fields(response)


def test_a_promise_date_must_be_ahead(complainant, alice_api, supervisor) -> None:  # type: ignore[no-untyped-def]
    """Not a rule a JSON schema can say (it moves with the clock): a 400 on the field, and
    bench/schemathesis_hooks.py gives positive cases a date ahead, as a client would."""
    case = case_filed(complainant=complainant)
    actions.case_record_response(case=case, actor=supervisor, source="respondent")
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/accept-response/", {"promised_by": past}, format="json"
    )
    assert response.status_code == 400 and "promised_by" in error_fields(response)


# 6. A webhook URL: the schema's grammar, every string of which Django's validator takes


@hypothesis.settings(max_examples=300, deadline=None, database=None)
@hypothesis.given(url=st.from_regex(HttpsUrlField.schema_pattern, fullmatch=True))
def test_every_url_the_schema_allows_is_one_the_endpoint_takes(url: str) -> None:
    hypothesis.assume(len(url) <= 500)
    URLValidator(schemes=["https"])(url)


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://hooks.example.cn/kamen?x=1", True),
        ("https://xn--fiqs8s.example:8443/", True),
        ("http://hooks.example.cn/", False),
        (" https://hooks.example.cn/", False),
        ("https://" + "a" * 63 + ("." + "a" * 63) * 4 + ".cn/", False),  # host over 253
        ("https://user:pw@hooks.example.cn/", False),
        ("https://hooks.example.cn/a b", False),
    ],
)
def test_a_webhook_url_is_refused_exactly_when_the_schema_refuses_it(  # type: ignore[no-untyped-def]
    schema, supervisor, url, valid
) -> None:
    body = {"url": url, "platform_id": PlatformFactory().pk}
    assert says_valid(schema, "WebhookEndpointListCreateApiInputRequest", body) is valid
    response = client_for(supervisor).post("/api/v1/webhooks/", body, format="json")
    assert (response.status_code == 201) is valid, response.content


def test_a_file_the_evidence_already_has_is_a_409(complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    url = f"/api/v1/cases/{case.pk}/evidence/"
    first = alice_api.post(url, {"kind": "other", "file": png_upload("a.png")}, format="multipart")
    again = alice_api.post(url, {"kind": "other", "file": png_upload("b.png")}, format="multipart")
    assert first.status_code == 201
    assert again.status_code == 409 and "file" in error_fields(again)


def test_a_case_whose_evidence_is_full_answers_409(complainant, alice_api, settings) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    assert (
        alice_api.post(
            f"/api/v1/cases/{case.pk}/evidence/",
            {"kind": "other", "file": png_upload("a.png", png_bytes("blue"))},
            format="multipart",
        ).status_code
        == 201
    )
    held = sum(case.evidence_bundle.items.values_list("size", flat=True))
    for limit in (1, held + 10):  # below what it holds; ten bytes of room left
        settings.EVIDENCE_MAX_CASE_BYTES = limit
        response = alice_api.post(
            f"/api/v1/cases/{case.pk}/evidence/",
            {"kind": "other", "file": png_upload()},
            format="multipart",
        )
        assert response.status_code == 409 and "file" in error_fields(response)


def test_a_texts_length_is_counted_as_sent(complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    """DRF trims before counting; the schema's maxLength counts what was sent."""
    case = case_filed(complainant=complainant)
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/message/", {"text": "\f" + "留" * 10000}, format="json"
    )
    assert response.status_code == 400 and "text" in error_fields(response)


def test_free_text_in_an_upload_form_has_no_json_type(schema, complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    """Every part of a multipart form is text: a client's false arrives as "false"."""
    prop = schema["components"]["schemas"]["EvidenceUploadInputRequest"]["properties"]
    assert Draft4Validator({"properties": {"v": prop["description"]}}).is_valid({"v": False})
    case = case_filed(complainant=complainant)
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"kind": "other", "file": png_upload(), "description": "false"},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["description"] == "false"


def test_a_text_of_only_spaces_is_counted_as_sent_too(complainant, alice_api) -> None:  # type: ignore[no-untyped-def]
    """DRF takes a text of only spaces as blank before any length check."""
    case = case_filed(complainant=complainant)
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/details/", {"phone": " " * 33}, format="json"
    )
    assert response.status_code == 400 and "phone" in error_fields(response)


# 7. The case details: the phone rule and "at least one answer" are the schema's too


@hypothesis.settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(
    phone=st.one_of(
        st.from_regex(r"\s*\+?[\d\s-]{0,22}\s*", fullmatch=True),
        st.text(alphabet="0123456789 +-\t\u3000a", max_size=24),
    )
)
def test_a_phone_is_refused_exactly_when_the_schema_refuses_it(  # type: ignore[no-untyped-def]
    schema, complainant, alice_api, phone: str
) -> None:
    case = case_filed(complainant=complainant)
    valid = says_valid(schema, "CaseDetailsApiInputRequest", {"phone": phone, "name": "王小明"})
    response = alice_api.post(
        f"/api/v1/cases/{case.pk}/details/", {"phone": phone, "name": "王小明"}, format="json"
    )
    assert response.status_code == (200 if valid else 400), (phone, response.content)
    if not valid:
        assert list(error_fields(response)) == ["phone"]


@pytest.mark.parametrize(
    "body", [None, {}, {"name": ""}, {"phone": "   ", "address": "\t"}, {"other_proceedings": ""}]
)
def test_details_without_any_answer_are_refused_and_the_schema_says_so(  # type: ignore[no-untyped-def]
    schema, complainant, alice_api, body
) -> None:
    operation = schema["paths"]["/api/v1/cases/{case_id}/details/"]["post"]
    assert operation["requestBody"]["required"] is True
    if body is not None:
        assert not says_valid(schema, "CaseDetailsApiInputRequest", body)
    case = case_filed(complainant=complainant)
    response = alice_api.post(f"/api/v1/cases/{case.pk}/details/", body, format="json")
    assert response.status_code == 400
    assert says_valid(schema, "CaseDetailsApiInputRequest", {"other_proceedings": "no"})
