"""OpenAPI generation: every operation documents every error it can answer with.

The error responses are added here, in one place, from what the operation has (a body,
query or path parameters, an Idempotency-Key, authentication, permissions), so a new
view is documented correctly without repeating them.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # The serializer metaclass moves declared fields off the class, so this does not shadow
    # Serializer.fields at run time; the stubs cannot know that.
    fields = serializers.DictField(child=serializers.JSONField())  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


# Each status the API's error shape is used for, and when.
ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "A value is not valid; `fields` names each one (RFC 9110 §15.5.1).",
    "401": "No credentials, or wrong ones (RFC 9110 §15.5.2).",
    "403": "Signed in, but not allowed to do this (RFC 9110 §15.5.4).",
    "404": "No such object, or not one of yours (RFC 9110 §15.5.5).",
    "406": "The Accept header asks for something other than JSON (RFC 9110 §15.5.7).",
    "409": "The object's current state does not allow this, or a request with the same "
    "Idempotency-Key is still running (RFC 9110 §15.5.10).",
    "415": "The body is not in a media type this operation reads (RFC 9110 §15.5.16).",
    "422": "This Idempotency-Key was used before for a different request.",
    "429": "Too many requests; retry after `Retry-After` seconds (RFC 6585 §4).",
}
HEADERS: dict[str, dict[str, Any]] = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    "429": {"Retry-After": {"schema": {"type": "integer"}}},
}

S = TypeVar("S", bound=type[serializers.Serializer])


def _combine(keyword: str, alternatives: tuple[tuple[str, ...], ...]) -> Callable[[S], S]:
    def decorate(serializer: S) -> S:
        serializer._schema_alternatives = (keyword, alternatives)  # type: ignore[attr-defined]
        return serializer

    return decorate


def one_of_required(*alternatives: tuple[str, ...]) -> Callable[[S], S]:
    """Mark a request serializer whose ``validate`` demands exactly one of the field groups,
    so the schema says it too (as ``oneOf`` of ``required``) and clients and fuzzers do
    not have to learn it from a 400."""
    return _combine("oneOf", alternatives)


def any_of_required(*alternatives: tuple[str, ...]) -> Callable[[S], S]:
    """Like ``one_of_required``, for "at least one of"."""
    return _combine("anyOf", alternatives)


def _decimal_pattern(field: serializers.DecimalField) -> str:
    """What DRF's DecimalField reads: drf-spectacular's own pattern lets "", "-" and "."
    through, and says nothing of a positive minimum."""
    places = field.decimal_places or 0
    digits = (field.max_digits or places + 1) - places
    number = rf"\d{{1,{digits}}}(?:\.\d{{1,{places}}})?"
    minimum = field.min_value
    if minimum is None or minimum < 0:
        return rf"^-?{number}$"
    if minimum == 0:
        return rf"^{number}$"
    return rf"^(?=[0.]*[1-9]){number}$"  # above zero: at least one non-zero digit


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses each operation can give."""

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        where = {parameter["in"] for parameter in parameters}
        names = {parameter["name"] for parameter in parameters}
        codes = {"401", "406", "429"}
        if "requestBody" in operation:
            codes |= {"400", "415"}
        if "query" in where or "header" in where:
            codes.add("400")  # a bad filter, page size, language or Idempotency-Key
        if "path" in where or self._is_list_view() or "requestBody" in operation:
            codes.add("404")  # no such object; a stale cursor; an id in the body not yours
        if self.method in {"POST", "PUT", "PATCH", "DELETE"}:
            codes.add("400")  # a domain rule can refuse even a body-less action
            if operation.get("security"):
                codes.add("409")
        if "Idempotency-Key" in names:
            codes |= {"409", "422"}
        if operation.get("security") and not all(
            isinstance(p, AllowAny) for p in self.view.get_permissions()
        ):
            codes.add("403")
        return sorted(codes)

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code in responses:
                continue
            response = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), code
            )
            if code in HEADERS:
                response["headers"] = HEADERS[code]
            responses[code] = response
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        alternatives = getattr(serializer, "_schema_alternatives", None)
        if alternatives and direction == "request":
            keyword, groups = alternatives
            properties = schema.get("properties", {})
            # Each branch restates the type without ``nullable``: a null does not count.
            schema[keyword] = [
                {
                    "required": list(group),
                    "properties": {
                        name: {"type": properties.get(name, {}).get("type", "object")}
                        for name in group
                    },
                }
                for group in groups
            ]
        return schema

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False):  # type: ignore[no-untyped-def]
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = _decimal_pattern(field)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and "format" not in schema
        ):
            # DRF refuses NUL characters, and trims before checking for blank.
            needs_text = field.trim_whitespace and not field.allow_blank
            schema.setdefault(
                "pattern", r"^[^\u0000]*\S[^\u0000]*$" if needs_text else r"^[^\u0000]*$"
            )
        return schema

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        """Nested HackSoft-style serializers (``CaseListApi.OutputSerializer``) get unique
        component names from their qualified name instead of all being "Output"."""
        name = type(serializer).__qualname__
        if "." in name and "<locals>" not in name:
            return name.replace(".", "")
        return super().get_serializer_name(serializer, direction)
