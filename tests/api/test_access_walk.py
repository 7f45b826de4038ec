"""Walk every route in the URL conf as four callers and fail on any access that should not
be there. A new route must be given a policy below, so an endpoint cannot land without
someone deciding who may reach it."""

import re
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.factories import OrderFactory, PlatformFactory, case_filed

pytestmark = pytest.mark.django_db

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user; nothing private in it
OWNER_ONLY = "owner_only"  # its owner only; staff too get 404 (orders, draft evidence)
CASE_READ = "case_read"  # the complainant, and staff who may view cases; writes: + triagers
COMPLAINANT_ACTION = "complainant_action"  # the complainant only
TRIAGE = "triage"  # staff with complaints.triage_case
ESCALATE = "escalate"  # staff with complaints.escalate_case
WEBHOOKS = "webhooks"  # staff with the webhook endpoint permissions
ADMIN = "admin"  # Django admin: staff only

POLICY = {
    "home": PUBLIC,
    "healthz": PUBLIC,
    "set_language": PUBLIC,
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "api:auth-token": PUBLIC,
    "api:platform-list": SIGNED_IN,
    "api:platform-detail": SIGNED_IN,
    "api:order-list": SIGNED_IN,
    "api:order-detail": OWNER_ONLY,
    "api:case-list": SIGNED_IN,
    "api:case-detail": CASE_READ,
    "api:case-events": CASE_READ,
    "api:case-evidence": CASE_READ,
    "api:case-evidence-download": CASE_READ,
    "api:case-documents": CASE_READ,
    "api:case-package": CASE_READ,
    "api:case-receipt": CASE_READ,
    "api:case-withdraw": COMPLAINANT_ACTION,
    "api:case-accept-response": COMPLAINANT_ACTION,
    "api:case-reject-response": COMPLAINANT_ACTION,
    "api:case-resolve": COMPLAINANT_ACTION,
    "api:case-external-reference": COMPLAINANT_ACTION,
    "api:case-message": COMPLAINANT_ACTION,
    "api:case-assign": TRIAGE,
    "api:case-record-response": TRIAGE,
    "api:case-request-evidence": TRIAGE,
    "api:case-escalate": ESCALATE,
    "api:webhook-list": WEBHOOKS,
    "api:bundle-list": SIGNED_IN,
    "api:bundle-detail": OWNER_ONLY,
    "api:bundle-items": OWNER_ONLY,
    "api:bundle-item-detail": OWNER_ONLY,
    "api:not-found": PUBLIC,
}
ADMIN_PUBLIC = {"admin:login"}


def routes(
    patterns=None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else (entry.namespace or namespace)
            )
            yield from routes(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name or ''}" if namespace else (entry.name or "")
            yield prefix + str(entry.pattern), name, entry.callback


def fill(route: str, values: dict[str, object]) -> str:
    url = re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), values["object_id"])), route
    )
    url = re.sub(
        r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m.group(1), values["object_id"])), url
    )
    return "/" + url.replace("^", "").replace("$", "").replace("\\", "")


def policy_of(name: str) -> str | None:
    if name.startswith("admin:"):
        return PUBLIC if name in ADMIN_PUBLIC else ADMIN
    return POLICY.get(name)


def test_every_route_has_a_policy() -> None:
    unclassified = [(route, name) for route, name, _ in routes() if policy_of(name) is None]

    assert unclassified == [], "give these routes a policy in test_access_walk.POLICY"


def caller(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


METHODS = ("get", "post", "delete")
DENIED = {401, 403, 404}
NOT_ALLOWED = {405}


def is_denied(status: int) -> bool:
    return status in DENIED or status in {301, 302}  # admin sends strangers to its login


def test_walk_every_route_as_two_complainants_staff_and_a_stranger(
    complainant, outsider, triager
) -> None:  # type: ignore[no-untyped-def]
    platform = PlatformFactory()
    order = OrderFactory(owner=complainant, platform=platform)
    case = case_filed(complainant=complainant, order=order)
    alice = caller(complainant)
    upload = alice.post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"kind": "other", "file": SimpleUploadedFile("a.txt", b"evidence")},
        format="multipart",
    )
    assert upload.status_code == 201
    values = {
        "case_id": case.pk,
        "item_id": upload.json()["id"],
        "order_id": order.pk,
        "platform_id": platform.pk,
        "object_id": case.pk,
        "content_type_id": 1,
        "app_label": "complaints",
        "url": "complaints/complaintcase/",
    }
    draft = alice.post("/api/v1/bundles/", {}, format="json").json()
    draft_item = alice.post(
        f"/api/v1/bundles/{draft['id']}/items/",
        {"kind": "chat_log", "file": SimpleUploadedFile("chat.txt", b"draft")},
        format="multipart",
    ).json()
    values["bundle_id"] = draft["id"]
    secrets = [case.reference, order.order_number, draft_item["sha256"]]
    # A fresh session per request: walking admin:logout must not sign the walker out.
    callers = {"stranger": None, "mallory": outsider, "tina": triager}
    problems: list[str] = []
    walked = 0

    def check(who: str, method: str, url: str, status: int, body: bytes, want: str) -> None:
        leaked = any(s.encode() in body for s in secrets)
        if want == "denied" and not (is_denied(status) or status in NOT_ALLOWED):
            problems.append(f"{who} {method} {url} -> {status}, expected a refusal")
        elif want == "404" and status not in {404, 405}:
            problems.append(f"{who} {method} {url} -> {status}, expected 404 (no existence leak)")
        elif want == "allowed" and is_denied(status):
            problems.append(f"{who} {method} {url} -> {status}, expected access")
        if who in {"stranger", "mallory"} and leaked and 200 <= status < 300:
            problems.append(f"{who} {method} {url} -> {status} shows alice's case")

    # Alice goes last: her actions (withdraw, resolve) change the case.
    for route, name, _callback in routes():
        policy = policy_of(name)
        url = fill(
            route, {**values, "item_id": draft_item["id"]} if "bundles/" in route else values
        )
        for method in METHODS:
            for who, user in callers.items():
                response = getattr(caller(user), method)(url, {}, format="json")
                walked += 1
                body = getattr(response, "content", b"") if not response.streaming else b""
                status = response.status_code
                if policy == PUBLIC:
                    continue
                if who == "stranger":
                    check(who, method, url, status, body, "denied")
                elif policy == SIGNED_IN:
                    check(who, method, url, status, body, "allowed")
                elif policy == OWNER_ONLY or (
                    policy in {CASE_READ, COMPLAINANT_ACTION} and who == "mallory"
                ):
                    check(who, method, url, status, body, "404")
                elif policy == CASE_READ:  # tina, a triager who may view cases
                    check(who, method, url, status, body, "allowed")
                elif policy == TRIAGE and who == "tina":
                    check(
                        who, method, url, status, body, "allowed" if method == "post" else "denied"
                    )
                elif policy == ADMIN and who == "tina":
                    continue  # staff; what admin shows is admin's own permission system
                else:  # complainant actions for staff, staff actions for complainants, ...
                    check(who, method, url, status, body, "denied")
        for method in METHODS:
            response = getattr(caller(complainant), method)(url, {}, format="json")
            walked += 1
            if policy in {SIGNED_IN, OWNER_ONLY, CASE_READ, COMPLAINANT_ACTION}:
                check("alice", method, url, response.status_code, b"", "allowed")
            elif policy in {TRIAGE, ESCALATE, WEBHOOKS, ADMIN}:
                check("alice", method, url, response.status_code, b"", "denied")

    assert walked > 100
    assert problems == []
