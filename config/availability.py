"""What a request gets while the database is unreachable: 503 with Retry-After, not a 500.

A restart, a failover or a dropped connection makes the database driver raise
``OperationalError`` or ``InterfaceError``; the next request reconnects
(``CONN_HEALTH_CHECKS``), so the failure is temporary and the answer says so: 503
Service Unavailable with ``Retry-After`` (RFC 9110 §15.6.4, §10.2.3), in the API's error
shape for the API (api/errors.py) and as a short page without anything that needs the
database for the portal and the admin. A retry is safe: filings and uploads sent with an
``Idempotency-Key`` are replayed, not repeated, if the first try did commit.
"""

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = _("The service is briefly unavailable. Please try again in a few seconds.")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or dropped the connection."""
    if isinstance(exc, DATABASE_ERRORS):
        logger.warning("database unavailable: %s: %s", type(exc).__name__, str(exc).strip())
        return True
    return False


class DatabaseUnavailableMiddleware:
    """Turns a view's database connection failure into the 503 page."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        page = render_to_string("503.html", {"message": UNAVAILABLE_MESSAGE}, request=None)
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
