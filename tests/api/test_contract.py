"""The API's contract: a valid OpenAPI 3 document, JSON errors for unknown paths and
methods, and every operation documenting the errors it can answer with."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def error_of(response):  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_the_schema_is_valid_openapi_3(schema) -> None:  # type: ignore[no-untyped-def]
    validate(schema)


def test_no_property_has_a_default_its_own_constraints_refuse(schema) -> None:  # type: ignore[no-untyped-def]
    broken = [
        (component, name)
        for component, body in schema["components"]["schemas"].items()
        for name, prop in body.get("properties", {}).items()
        if prop.get("default") == "" and prop.get("minLength", 0) > 0
    ]

    assert broken == []


def test_every_operation_documents_its_errors(schema) -> None:  # type: ignore[no-untyped-def]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "406", "429"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in {"post", "put", "patch", "delete"}:
                assert "400" in codes, (method, path)
            for code in codes - {"200", "201", "204"}:
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}


def test_idempotent_operations_document_422_and_409(schema) -> None:  # type: ignore[no-untyped-def]
    operation = schema["paths"]["/api/v1/cases/"]["post"]

    assert {"409", "422"} <= set(operation["responses"])


def test_the_language_400_is_documented(schema) -> None:  # type: ignore[no-untyped-def]
    assert "400" in schema["paths"]["/api/v1/cases/{case_id}/documents/"]["get"]["responses"]


def test_the_schema_is_served_with_a_valid_content_disposition() -> None:
    response = APIClient().get("/api/schema/?format=json")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="kamen-api.json"'


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nothing", "/api/v1/cases/x/"])
def test_unknown_paths_are_json_404_whatever_the_method(method, path) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_json_405_with_allow(alice_api) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.delete("/api/v1/cases/")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


def test_an_unknown_method_is_json_405_too(alice_api) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.generic("FROBNICATE", "/api/v1/cases/")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_form_bodies_are_415_outside_uploads(alice_api) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.post("/api/v1/orders/", {"order_number": "1"}, format="multipart")

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("size", ["0", "101", "x", ""])
def test_a_page_size_out_of_range_is_refused(alice_api, size) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.get(f"/api/v1/cases/?page_size={size}")

    assert response.status_code == 400
    assert "page_size" in error_of(response)["fields"]
