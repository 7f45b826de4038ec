"""OpenAPI generation: every operation documents every error it can answer with.

The error responses are added here, in one place, from what the operation has (a body,
query or path parameters, an Idempotency-Key, authentication, permissions), so a new
view is documented correctly without repeating them.
"""

import re
from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.fields import empty
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

# What DRF's CharField accepts: no NUL, and (unless blank is allowed) something left after
# trimming whitespace.
TEXT_PATTERN = r"^[^\u0000]*\S[^\u0000]*$"
ANY_TEXT_PATTERN = r"^[^\u0000]*$"
NONEMPTY_TEXT_PATTERN = r"^[^\u0000]+$"


def among(*values: str) -> dict[str, Any]:
    """A property schema "one of these values" inside a rule's branch. Wrapped in ``allOf``
    so drf-spectacular's enum post-processing, which would turn every ``enum`` it meets
    into a shared component, leaves the branch's narrower enum alone."""
    return {"allOf": [{"enum": [str(v) for v in values]}]}


def schema_rule(keyword: str, branches: list[dict[str, Any]]) -> Callable[[S], S]:
    """Mark a request serializer with a rule its ``validate``, or the action it calls, holds
    across fields, as JSON Schema ``keyword`` (``anyOf`` / ``oneOf``) of ``branches``, so
    the schema says it too and clients and fuzzers do not have to learn it from a 400.
    Several rules on one serializer are combined with ``allOf``."""

    def decorate(serializer: S) -> S:
        rules = [*getattr(serializer, "_schema_rules", []), {keyword: branches}]
        serializer._schema_rules = rules  # type: ignore[attr-defined]
        return serializer

    return decorate


def _required_groups(keyword: str, alternatives: tuple[tuple[str, ...], ...]) -> Callable[[S], S]:
    # Each branch restates the type without ``nullable``: a null does not count. The types
    # are filled in from the serializer's own schema when it is mapped.
    return schema_rule(
        keyword,
        [{"required": list(group), "_restate_types": list(group)} for group in alternatives],
    )


def one_of_required(*alternatives: tuple[str, ...]) -> Callable[[S], S]:
    """Mark a request serializer whose ``validate`` demands exactly one of the field groups,
    so the schema says it too (as ``oneOf`` of ``required``)."""
    return _required_groups("oneOf", alternatives)


def any_of_required(*alternatives: tuple[str, ...]) -> Callable[[S], S]:
    """Like ``one_of_required``, for "at least one of"."""
    return _required_groups("anyOf", alternatives)


def any_given(*names: str) -> Callable[[S], S]:
    """Mark a request serializer whose action needs at least one of the text fields
    ``names`` given, where blank (or only spaces, which DRF trims away) means not given."""
    return schema_rule(
        "anyOf",
        [{"required": [name], "properties": {name: {"pattern": TEXT_PATTERN}}} for name in names],
    )


def value_read_by(
    selector: str, value: str, readers: dict[str, serializers.Field]
) -> Callable[[S], S]:
    """Mark a request serializer whose ``value`` field is read by the DRF field that
    ``readers`` gives for the choice in ``selector`` (``value_by_selector`` does the
    reading in ``validate``); the schema says it as ``anyOf``, one branch per choice, each
    with that field's own schema."""

    def decorate(serializer: S) -> S:
        serializer._schema_readers = (selector, value, readers)  # type: ignore[attr-defined]
        return serializer

    return decorate


def value_by_selector(serializer: Any, attrs: dict[str, Any]) -> dict[str, Any]:
    """In ``validate``: parse ``attrs[value]`` with the reader of ``attrs[selector]``; a
    refusal is reported on the value field."""
    selector, value, readers = type(serializer)._schema_readers
    reader = readers[attrs[selector]]
    try:
        attrs[value] = reader.run_validation(attrs.get(value, empty))
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({value: exc.detail}) from exc
    return attrs


def decimal_pattern(field: serializers.DecimalField) -> str:
    """What DRF's DecimalField reads: drf-spectacular's own pattern lets "", "-" and "."
    through, and says nothing of a positive minimum."""
    places = field.decimal_places or 0
    digits = (field.max_digits or places + 1) - places
    number = rf"[0-9]{{1,{digits}}}(?:\.[0-9]{{1,{places}}})?"
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

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        schema, required = super()._get_request_for_media_type(serializer, direction)
        # drf-spectacular requires a body only for a required field; a rule that every
        # branch of requires one (``any_given``, ``one_of_required``) needs a body as well.
        for rule in getattr(serializer, "_schema_rules", []):
            ((_, branches),) = rule.items()
            if all(branch.get("required") for branch in branches):
                required = True
        return schema, required

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction != "request":
            return schema
        properties = schema.get("properties", {})
        rules = [
            self._rule_schema(rule, properties) for rule in getattr(serializer, "_schema_rules", [])
        ]
        readers = getattr(serializer, "_schema_readers", None)
        if readers:
            selector, value, fields = readers
            rules.append(
                {
                    "anyOf": [
                        {
                            "properties": {
                                selector: among(choice),
                                value: self._reader_schema(field, direction),
                            },
                            "required": [selector, value],
                        }
                        for choice, field in fields.items()
                    ]
                }
            )
        if len(rules) == 1:
            schema.update(rules[0])
        elif rules:
            schema["allOf"] = rules
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        if getattr(field, "any_wire_type", False):  # e.g. FormTextField: no JSON type
            text, *_ = schema.pop("oneOf", [schema.copy()])
            schema.update({k: v for k, v in text.items() if k != "type"})
            schema.pop("type", None)
            schema["pattern"] = ANY_TEXT_PATTERN if field.allow_blank else TEXT_PATTERN
            return
        # drf-spectacular wraps a blank-allowed string as oneOf [the string, ""], and moves
        # its default ("" as a rule) into the first branch, whose pattern refuses "".
        alternatives = schema.get("oneOf", [])
        blank = {"type": "string", "maxLength": 0}
        if (
            len(alternatives) == 2
            and alternatives[1] == blank
            and re.search(alternatives[0].get("pattern", "."), "")
        ):
            # oneOf means exactly one: "" belongs to the blank branch alone, even where the
            # field's own pattern (e.g. PhoneField's) takes blank as "none" too.
            alternatives[0]["minLength"] = 1
        if len(alternatives) == 2 and alternatives[1] == blank and "default" in alternatives[0]:
            schema["default"] = alternatives[0].pop("default")

    def _reader_schema(self, field: serializers.Field, direction: Any) -> dict[str, Any]:
        """A reader field's schema as a serializer's property would have it, validators
        (lengths, bounds) included; without a default, which means nothing in a branch."""
        schema = self._map_serializer_field(field, direction)
        self._insert_field_validators(field, schema)
        schema.pop("default", None)
        for alternative in schema.get("oneOf", []):
            alternative.pop("default", None)
        return schema

    @staticmethod
    def _rule_schema(rule: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
        ((keyword, branches),) = rule.items()
        mapped = []
        for branch in branches:
            branch = dict(branch)
            restate = branch.pop("_restate_types", None)
            if restate is not None:
                branch["properties"] = {
                    name: {"type": properties.get(name, {}).get("type", "object")}
                    for name in restate
                }
            mapped.append(branch)
        return {keyword: mapped}

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False):  # type: ignore[no-untyped-def]
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if getattr(field, "schema_pattern", None) and schema.get("type") == "string":
            schema["pattern"] = field.schema_pattern  # e.g. MomentField's years
        if getattr(field, "blank_means_absent", False):  # e.g. FormMomentField
            schema = {"oneOf": [schema, {"type": "string", "maxLength": 0}]}
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = decimal_pattern(field)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and "format" not in schema
        ):
            # DRF refuses NUL characters, and trims before checking for blank. A field that
            # may be blank gets drf-spectacular's own "or empty" alternative (a ``oneOf``),
            # so its pattern must not match "" as well.
            if field.allow_blank:
                pattern = NONEMPTY_TEXT_PATTERN
            elif field.trim_whitespace:
                pattern = TEXT_PATTERN
            else:
                pattern = ANY_TEXT_PATTERN
            schema.setdefault("pattern", pattern)
        return schema

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        """Nested HackSoft-style serializers (``CaseListApi.OutputSerializer``) get unique
        component names from their qualified name instead of all being "Output"."""
        name = type(serializer).__qualname__
        if "." in name and "<locals>" not in name:
            return name.replace(".", "")
        return super().get_serializer_name(serializer, direction)
