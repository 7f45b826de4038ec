"""OpenAPI generation: every operation documents the error shape it can answer with."""

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # The serializer metaclass moves declared fields off the class, so this does not shadow
    # Serializer.fields at run time; the stubs cannot know that.
    fields = serializers.DictField(child=serializers.JSONField())  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses each operation can give."""

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "429"]
        method = self.method.upper()
        has_path_params = "{" in self.path
        if method in {"POST", "PUT", "PATCH"}:
            codes += ["400", "409", "415"]
            if getattr(self.view, "idempotent", False):
                codes.append("422")
        if has_path_params:
            codes.append("404")
        if method == "GET" and self._is_list_view():
            codes += ["400", "404"]  # a bad filter value; a stale cursor
        extra_error_codes = getattr(self.view, "extra_error_codes", None)
        if extra_error_codes:
            codes += list(extra_error_codes)
        if self.view.permission_classes == [] or not self.view.permission_classes:
            codes.remove("403")
        return sorted(set(codes))

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for code in self._error_codes():
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": error}},
                    "description": "",
                },
            )
        return responses

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        """Nested HackSoft-style serializers (``CaseListApi.OutputSerializer``) get unique
        component names from their qualified name instead of all being "Output"."""
        name = type(serializer).__qualname__
        if "." in name and "<locals>" not in name:
            return name.replace(".", "")
        return super().get_serializer_name(serializer, direction)
