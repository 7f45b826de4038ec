"""Throttles beyond DRF's per-user and per-IP defaults."""

from typing import Any

from rest_framework.throttling import UserRateThrottle


class FilingRateThrottle(UserRateThrottle):
    """Caps how many complaints one account files per period (scope ``filing``).

    Honest complainants file a handful; a flood from one account is what the articles
    call a professional bad reviewer. Only filing counts, never reading.
    """

    scope = "filing"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
