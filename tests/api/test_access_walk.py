"""Walk every route in the URL conf as four callers and fail on any access that should not
be there. A new route must be given a policy below, so an endpoint cannot land without
someone deciding who may reach it."""

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from evidence.services import bundle_create, evidence_add
from portal.drafts import draft_current
from tests.api.files import png_upload, text_upload
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
ACCOUNT = "account"  # allauth's sign-in, sign-up and own-account pages: the caller's own only

POLICY = {
    "home": PUBLIC,
    "healthz": PUBLIC,
    "set_language": PUBLIC,
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "api-not-found": PUBLIC,
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
    "api:case-details": COMPLAINANT_ACTION,  # who the complainant is: only they say
    "api:case-assign": TRIAGE,
    "api:case-record-response": TRIAGE,
    "api:case-request-evidence": TRIAGE,
    "api:case-escalate": ESCALATE,
    "api:case-amend": CASE_READ,  # the complainant, or a triager, corrects the record
    "api:case-reopen": COMPLAINANT_ACTION,
    "api:case-resolve-by-staff": TRIAGE,
    "api:case-record-acceptance": COMPLAINANT_ACTION,
    "api:case-resume": TRIAGE,
    "api:webhook-list": WEBHOOKS,
    "api:bundle-list": SIGNED_IN,
    "api:bundle-detail": OWNER_ONLY,
    "api:bundle-items": OWNER_ONLY,
    "api:bundle-item-detail": OWNER_ONLY,
    "api:not-found": PUBLIC,
    # evidence files, receipts, packages and summaries: the complainant and case viewers
    "evidence:item_download": CASE_READ,
    "evidence:item_redacted": CASE_READ,
    "evidence:item_thumbnail": CASE_READ,
    "evidence:receipt": CASE_READ,
    "evidence:package": CASE_READ,
    "evidence:summary_pdf": CASE_READ,
    # the portal: the filing wizard and lists work on the caller's own things; a case's
    # pages and files are the complainant's own (staff work in admin and the API)
    "portal:file_start": SIGNED_IN,
    "portal:file_step": SIGNED_IN,
    "portal:platform_search": SIGNED_IN,
    "portal:case_list": SIGNED_IN,
    "portal:profile": SIGNED_IN,
    "portal:file_evidence_remove": OWNER_ONLY,
    "portal:case_detail": OWNER_ONLY,
    "portal:case_document": OWNER_ONLY,
    "portal:case_add_evidence": OWNER_ONLY,
    "portal:case_message": OWNER_ONLY,
    "portal:case_reference": OWNER_ONLY,
    "portal:case_acceptance": OWNER_ONLY,
    "portal:case_accept_response": OWNER_ONLY,
    "portal:case_reject_response": OWNER_ONLY,
    "portal:case_resolve": OWNER_ONLY,
    "portal:case_withdraw": OWNER_ONLY,
    "portal:case_reopen": OWNER_ONLY,
    "portal:case_amend": OWNER_ONLY,
    "portal:case_details": OWNER_ONLY,
    # the dashboard, under /admin/ behind its sign-in: staff who may view every case
    "staff-dashboard": ADMIN,
    "staff-dashboard-csv": ADMIN,
}
ADMIN_PUBLIC = {"admin:login", "admin:logout"}  # signing oneself in or out


def routes(
    patterns=None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, object]]:
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
    if name.startswith("account_"):
        return ACCOUNT
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


def is_denied(response) -> bool:  # type: ignore[no-untyped-def]
    """Refused, or sent to a sign-in page (admin's or the site's); other redirects are
    answers (a wizard resuming at its step, a form sent back to its page)."""
    if response.status_code in DENIED:
        return True
    return response.status_code in {301, 302} and "login" in response.get("Location", "")


def test_walk_every_route_as_two_complainants_staff_and_a_stranger(
    complainant, outsider, triager
) -> None:
    platform = PlatformFactory()
    order = OrderFactory(owner=complainant, platform=platform)
    case = case_filed(complainant=complainant, order=order)
    alice = caller(complainant)
    upload = alice.post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"kind": "payment_voucher", "file": png_upload()},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    draft = alice.post("/api/v1/bundles/", {}, format="json").json()
    draft_item = alice.post(
        f"/api/v1/bundles/{draft['id']}/items/",
        {"kind": "chat_log", "file": text_upload("chat.txt", "API 草稿")},
        format="multipart",
    ).json()
    wizard = draft_current(owner=complainant)
    wizard_item = evidence_add(
        bundle=wizard.bundle, actor=complainant, file=text_upload("wizard.txt"), kind="chat_log"
    )
    values = {
        "case_id": case.pk,
        "reference": case.reference,
        "item_id": upload.json()["id"],
        "item_pk": upload.json()["id"],
        "order_id": order.pk,
        "platform_id": platform.pk,
        "bundle_id": draft["id"],
        "step": 1,
        "object_id": case.pk,
        "content_type_id": 1,
        "app_label": "complaints",
        "url": "complaints/complaintcase/",
    }
    per_route = {  # routes whose item is a draft's, not the filed case's
        "bundles/": {"item_id": draft_item["id"]},
        "file/evidence/": {"item_pk": wizard_item.pk},
    }
    secrets = [
        case.reference,
        order.order_number,
        upload.json()["sha256"],
        draft_item["sha256"],
        wizard_item.sha256,
    ]
    # A fresh session per request: walking admin:logout must not sign the walker out.
    callers = {"stranger": None, "mallory": outsider, "tina": triager}
    problems: list[str] = []
    walked = 0

    def check(who: str, method: str, url: str, response, want: str) -> None:  # type: ignore[no-untyped-def]
        status = response.status_code
        if want == "denied" and not (is_denied(response) or status in NOT_ALLOWED):
            problems.append(f"{who} {method} {url} -> {status}, expected a refusal")
        elif want == "404" and status not in {404, 405}:
            problems.append(f"{who} {method} {url} -> {status}, expected 404 (no existence leak)")
        elif want == "allowed" and is_denied(response):
            problems.append(f"{who} {method} {url} -> {status}, expected access")

    def check_no_leak(who: str, method: str, url: str, response) -> None:  # type: ignore[no-untyped-def]
        if response.streaming:
            body = b"".join(response.streaming_content)
        else:
            body = getattr(response, "content", b"")
        if 200 <= response.status_code < 300 and any(s.encode() in body for s in secrets):
            problems.append(f"{who} {method} {url} -> {response.status_code} shows alice's case")

    # Alice goes last: her actions (withdraw, resolve) change the case.
    for route, name, _callback in routes():
        policy = policy_of(name)
        overrides = next((v for part, v in per_route.items() if part in route), {})
        url = fill(route, {**values, **overrides})
        for method in METHODS:
            for who, user in callers.items():
                response = getattr(caller(user), method)(url, {}, format="json")
                walked += 1
                if who in {"stranger", "mallory"}:
                    check_no_leak(who, method, url, response)
                if policy in {PUBLIC, ACCOUNT}:
                    continue
                if who == "stranger":
                    check(who, method, url, response, "denied")
                elif policy == SIGNED_IN:
                    check(who, method, url, response, "allowed")
                elif policy == OWNER_ONLY or (
                    policy in {CASE_READ, COMPLAINANT_ACTION} and who == "mallory"
                ):
                    check(who, method, url, response, "404")
                elif policy == CASE_READ:  # tina, a triager who may view cases
                    check(who, method, url, response, "allowed")
                elif policy == TRIAGE and who == "tina":
                    check(who, method, url, response, "allowed" if method == "post" else "denied")
                elif policy == ADMIN and who == "tina":
                    continue  # staff; what admin shows is admin's own permission system
                else:  # complainant actions for staff, staff actions for complainants, ...
                    check(who, method, url, response, "denied")
        for method in METHODS:
            response = getattr(caller(complainant), method)(url, {}, format="json")
            walked += 1
            if policy in {SIGNED_IN, OWNER_ONLY, CASE_READ, COMPLAINANT_ACTION}:
                check("alice", method, url, response, "allowed")
            elif policy in {TRIAGE, ESCALATE, WEBHOOKS, ADMIN}:
                check("alice", method, url, response, "denied")

    assert walked > 100
    assert problems == [], "\n".join(problems)


def test_draft_evidence_is_its_owners_alone_on_every_file_route(
    complainant, outsider, triager, supervisor
) -> None:
    """Until the complaint is filed its evidence is the complainant's private draft: staff
    see evidence once it is filed, like the API's draft bundles."""
    draft = bundle_create(owner=complainant, now=timezone.now())
    item = evidence_add(bundle=draft, actor=complainant, file=png_upload(), kind="payment_voucher")
    file_routes = [(route, name) for route, name, _ in routes() if "<int:item_pk>" in route]
    assert {name for _, name in file_routes} >= {
        "evidence:item_download",
        "evidence:item_redacted",
        "evidence:item_thumbnail",
    }
    problems = []
    for route, name in file_routes:
        if name == "portal:file_evidence_remove":
            continue  # POST only; walked above
        url = fill(route, {"item_pk": item.pk, "object_id": item.pk})
        if caller(complainant).get(url).status_code != 200:
            problems.append(f"alice get {url}: expected her own draft file")
        for who, user in {"mallory": outsider, "tina": triager, "sam": supervisor}.items():
            status = caller(user).get(url).status_code
            if status != 404:
                problems.append(f"{who} get {url} -> {status}, expected 404")

    assert problems == [], "\n".join(problems)
