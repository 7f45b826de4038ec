"""The API's one error shape: ``{"error": {"code", "message", "fields"}}``.

Domain errors from the services and DRF's own exceptions both end up here; messages are
rendered in the language LocaleMiddleware picked from Accept-Language.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from complaints import errors
from config.availability import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, database_unavailable

# The first class that matches wins: StateConflict before the InvalidInput it refines.
DOMAIN_STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Forbidden: status.HTTP_403_FORBIDDEN,
    errors.StateConflict: status.HTTP_409_CONFLICT,
    errors.InvalidInput: status.HTTP_400_BAD_REQUEST,
    errors.InvalidTransition: status.HTTP_409_CONFLICT,
    errors.ConcurrentChange: status.HTTP_409_CONFLICT,
    errors.ImmutableRecord: status.HTTP_409_CONFLICT,
}


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used for a different request.")


class ServiceUnavailable(exceptions.APIException):
    """The database could not be reached (config/availability.py): retry shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"
    default_detail = UNAVAILABLE_MESSAGE


class IdempotencyKeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_flight"
    default_detail = _("A request with this Idempotency-Key is still being processed; retry.")


def _fields(value: Any) -> Any:
    """DRF's detail tree (ErrorDetail strings, lists, dicts) as plain, translated JSON."""
    if isinstance(value, dict):
        return {str(k): _fields(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fields(v) for v in value]
    return force_str(value)


def _flatten_detail(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {k: _fields(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": _fields(detail)}
    return {}


def error_body(code: str, message: Any, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": force_str(message), "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, errors.DomainError):
        http_status = next(
            (code for cls, code in DOMAIN_STATUS.items() if isinstance(exc, cls)),
            status.HTTP_400_BAD_REQUEST,
        )
        return Response(error_body(exc.code, exc.message, _fields(exc.fields)), status=http_status)
    if database_unavailable(exc):
        body = error_body(ServiceUnavailable.default_code, ServiceUnavailable.default_detail)
        return Response(
            body,
            status=ServiceUnavailable.status_code,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # not ours to shape: Django turns it into a 500
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            "invalid", errors.InvalidInput.default_message, _flatten_detail(exc.detail)
        )
    else:
        detail = exc.detail
        codes = exc.get_codes()
        if isinstance(detail, dict | list):
            body = error_body(exc.default_code, exc.default_detail, _flatten_detail(detail))
        else:
            body = error_body(codes if isinstance(codes, str) else exc.default_code, detail)
    response.data = body
    return response


@csrf_exempt
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer 404 in the API's error shape whatever the method.

    CSRF-exempt because there is nothing here to protect, and the CSRF middleware would
    otherwise answer an unsafe method with Django's HTML 403 page before this view runs;
    a path that does not exist is 404 (RFC 9110 §15.5.5), never 403 or 405.
    """
    return JsonResponse(error_body("not_found", errors.NotFound.default_message), status=404)
