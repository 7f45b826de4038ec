"""The one error shape in both languages, token and session auth, throttling."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def error_of(response):  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Some of the values are not valid."),
        ("zh-hans", "部分内容填写有误。"),
        (None, "部分内容填写有误。"),
    ],
)
def test_validation_errors_have_one_shape_in_the_requested_language(
    complainant, language, message
) -> None:
    client = APIClient(**({"HTTP_ACCEPT_LANGUAGE": language} if language else {}))
    client.force_authenticate(complainant)

    error = error_of(client.post("/api/v1/cases/", {"problem_type": "nope"}, format="json"))

    assert error["code"] == "invalid"
    assert error["message"] == message
    assert set(error["fields"]) >= {"problem_type", "description", "demand"}
    field_message = error["fields"]["description"][0]
    assert field_message == ("This field is required." if language == "en" else "该字段是必填项。")


@pytest.mark.parametrize(("language", "message"), [("en", "Not found."), ("zh-hans", "未找到。")])
def test_not_found_speaks_the_language_too(complainant, language, message) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(complainant)

    error = error_of(client.get("/api/v1/cases/424242/"))

    assert error == {"code": "not_found", "message": message, "fields": {}}


def test_domain_errors_map_to_their_code(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    alice_api.post(f"/api/v1/cases/{alice_case.pk}/withdraw/", {}, format="json")
    response = alice_api.post(
        f"/api/v1/cases/{alice_case.pk}/resolve/", {"outcome": "resolved"}, format="json"
    )

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "invalid_transition"
    assert error["message"] == "The case cannot move to that status from its current status."


def test_anonymous_requests_get_401_in_the_error_shape(anon_api) -> None:  # type: ignore[no-untyped-def]
    response = anon_api.get("/api/v1/cases/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_token_login_then_token_auth(complainant) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "pass-for-tests-1"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/cases/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/v1/cases/").status_code == 401


def test_wrong_password_gets_no_token(complainant) -> None:  # type: ignore[no-untyped-def]
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", {"username": "alice", "password": "guess"}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"password": ["The username or password is wrong."]}


def test_session_auth_needs_csrf_for_writes(complainant) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(complainant)

    assert client.get("/api/v1/cases/").status_code == 200
    refused = client.post("/api/v1/orders/", {}, format="json")
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "permission_denied"


@pytest.fixture
def tight_rates(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"user": "3/min", "anon": "2/min", "token": "2/min", "filing": "2/day"},
    )


def test_each_user_has_their_own_budget(tight_rates, complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    alice, mallory = client_for(complainant), client_for(outsider)

    statuses = [alice.get("/api/v1/platforms/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    throttled = alice.get("/api/v1/platforms/")
    assert error_of(throttled)["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    assert mallory.get("/api/v1/platforms/").status_code == 200


def test_anonymous_callers_are_throttled_by_ip(tight_rates) -> None:  # type: ignore[no-untyped-def]
    # Signed-out calls to protected endpoints stop at 401 before any work; the public ones
    # (schema, token) count against the caller's IP.
    statuses = [
        APIClient(REMOTE_ADDR="203.0.113.9").get("/api/schema/").status_code for _ in range(3)
    ]
    other_ip = APIClient(REMOTE_ADDR="203.0.113.10").get("/api/schema/").status_code

    assert statuses == [200, 200, 429]
    assert other_ip == 200


def test_password_guessing_on_the_token_endpoint_is_throttled(tight_rates, complainant) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    body = {"username": "alice", "password": "guess"}

    statuses = [
        client.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)
    ]

    assert statuses == [400, 400, 429]


def test_unknown_api_paths_answer_in_the_error_shape(anon_api) -> None:  # type: ignore[no-untyped-def]
    response = anon_api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_filing_has_its_own_daily_cap_and_reading_is_not_counted(monkeypatch, complainant) -> None:  # type: ignore[no-untyped-def]
    from tests.api.test_cases import case_body

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"user": "100/min", "anon": "100/min", "filing": "2/day"},
    )
    alice = client_for(complainant)
    reads = [alice.get("/api/v1/cases/").status_code for _ in range(3)]
    filed = [alice.post("/api/v1/cases/", case_body(), format="json").status_code for _ in range(3)]

    assert reads == [200, 200, 200]
    assert filed == [201, 201, 429]
    assert alice.get("/api/v1/cases/").status_code == 200
