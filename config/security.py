"""Project-wide request security: the client's address, sign-in lockout keys, headers.

One answer to "who is the client" for every counter that keys on it (DRF throttles,
allauth rate limits, django-axes lockouts): the address ``NUM_PROXIES`` hops from the
right of ``X-Forwarded-For``, which is the one the nearest trusted proxy saw; with no
proxy configured, ``REMOTE_ADDR`` and nothing the client sent (OWASP ASVS 5.0 V4.4,
"do not trust client-supplied forwarding headers"). It is DRF's own rule, so DRF
(``REST_FRAMEWORK["NUM_PROXIES"]``) and axes (``AXES_CLIENT_IP_CALLABLE``) agree.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_ip(request: Any) -> str:
    """The client's address behind ``settings.NUM_PROXIES`` trusted reverse proxies."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    proxies = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    return hops[-min(proxies, len(hops))] or remote


def lockout_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """The key a failed sign-in counts under: the account, however it was named.

    The portal signs in by email, the admin and the API by username; both name the same
    account, so both count under its username and an email cannot be used to get a fresh
    set of guesses (OWASP ASVS 5.0 V6.3.1). A name that matches no account counts under
    itself, lower-cased, so lockouts look the same whether or not the account exists.
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    credentials = credentials or {}
    given = credentials.get("username") or credentials.get("email") or credentials.get("login")
    if not given and request is not None:
        data = getattr(request, "POST", None) or {}
        given = data.get("username") or data.get("login") or data.get("email")
    given = str(given or "").strip()
    if not given:
        return ""
    users = get_user_model().objects
    username = (
        users.filter(Q(username__iexact=given) | Q(email__iexact=given))
        .values_list("username", flat=True)
        .first()
    )
    if username is None:
        username = (
            EmailAddress.objects.filter(email__iexact=given)
            .values_list("user__username", flat=True)
            .first()
        )
    return (username or given).lower()


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-ins. Try again in %(minutes)s minutes, or reset your password."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page (or JSON) shown while locked out: never says whether the account exists."""
    message = lockout_message()
    if request.path.startswith("/api/") or request.headers.get("X-Requested-With"):
        from django.http import JsonResponse

        return JsonResponse(
            {"error": {"code": "locked_out", "message": message, "fields": {}}}, status=429
        )
    return render(request, "account/lockout.html", {"message": message}, status=429)


# --- response headers -------------------------------------------------------------------


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response, ``Cache-Control: no-store`` on case data.

    Permissions-Policy (W3C Permissions Policy) turns off browser features the portal
    never uses, so injected code cannot use them either. Case pages, evidence files and
    the API carry personal data: ``no-store`` (RFC 9111 §5.2.2.5) keeps them out of
    shared and browser caches (OWASP ASVS 5.0 V14.3.2). Prefixes come from settings.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in settings.PERMISSIONS_POLICY.items()
        )
        self.no_store = tuple(settings.NO_STORE_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        if request.path.startswith(self.no_store):
            response["Cache-Control"] = "private, no-store"
            response.headers.setdefault("Pragma", "no-cache")
        return response
