"""The OpenAPI schema validates, the docs are served locally, and schemathesis finds no
server error and no response that breaks the schema, on every operation."""

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casework.actions import case_escalate_by_staff, case_record_response, case_resolve
from config.wsgi import application
from evidence.services import bundle_create, evidence_add
from tests.api.files import png_bytes, png_upload, text_upload
from tests.factories import OrderFactory, PlatformFactory, case_filed

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_schema_validates_without_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    text = out.read_text()
    assert "/api/v1/cases/{case_id}/evidence/" in text
    assert "Idempotency-Key" in text


def test_swagger_ui_is_served_from_our_own_static_files() -> None:
    page = APIClient().get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    assert APIClient().get("/api/schema/").status_code == 200


@contextmanager
def wsgi_in_test_transaction() -> Iterator[object]:
    """Let the real WSGI app run inside the test's transaction, as Django's test client
    does: its request signals would otherwise close the test's connection. (Used after
    any test-client call: the test client reconnects them after each request.)"""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def no_throttling(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {scope: "100000/min" for scope in ("user", "anon", "token", "filing")},
    )


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    no_throttling, supervisor, complainant, capsys, settings
) -> None:
    """Every operation, as a signed-in superuser who also owns cases, with path ids drawn
    both from real objects (to reach the success paths) and at random (to reach 404s)."""
    settings.CASE_STAFF_RESOLVE_SILENCE_DAYS = 0  # so staff may resolve a fulfilled case
    platform = PlatformFactory()
    order = OrderFactory(owner=supervisor, platform=platform)
    cases = [case_filed(complainant=supervisor, order=order) for _ in range(3)]
    cases.append(case_filed(complainant=complainant))
    client = APIClient()
    client.force_authenticate(supervisor)
    item = client.post(
        f"/api/v1/cases/{cases[0].pk}/evidence/",
        {"kind": "payment_voucher", "file": png_upload()},
        format="multipart",
    ).json()
    real_ids = {
        "case_id": [c.pk for c in cases],
        "item_id": [item["id"]],
        "order_id": [order.pk],
        "platform_id": [platform.pk],
        "assignee_id": [supervisor.pk],
    }

    def fresh_ids() -> dict[str, list[int]]:
        """Each operation gets cases and a draft of its own, so what one operation did
        (withdrawn a case, discarded a draft file) cannot keep the next from ever
        succeeding. One case waits for the complainant's verdict on a response, so
        accepting can succeed; one is resolved, so reopening can; one is at the watchdog
        tier, so recording 12315's acceptance can."""
        own = [case_filed(complainant=supervisor, order=order) for _ in range(5)]
        case_record_response(case=own[2], actor=supervisor, source="respondent")
        case_resolve(case=own[3], actor=supervisor)  # so reopening can succeed
        case_escalate_by_staff(case=own[4], actor=supervisor, reason="12315")
        draft = bundle_create(owner=supervisor, now=timezone.now())
        draft_item = evidence_add(
            bundle=draft,
            actor=supervisor,
            file=text_upload("draft.txt", "draft evidence"),
            kind="chat_log",
        )
        return {
            "case_id": [cases[0].pk, cases[3].pk] + [c.pk for c in own],
            "bundle_id": [draft.pk],
            "draft_item_id": [draft_item.pk],
        }

    # Bodies that pass the rules a JSON schema cannot say (one of two fields, real ids,
    # a real password); drawn for about three examples in four.
    rng = random.Random(6)

    def random_colour() -> tuple[int, int, int]:
        """A new picture each time: a bundle refuses the same file twice."""
        return (rng.randrange(256), rng.randrange(256), rng.randrange(256))

    good_bodies = {
        "POST /api/v1/auth/token/": lambda: {"username": "sam", "password": "pass-for-tests-1"},
        "POST /api/v1/cases/": lambda: {
            "problem_type": "lost_order_stuck",
            "description": "订单一直处理中",
            "demand": {"kind": "refund"},
            "order_id": order.pk,
        },
        "POST /api/v1/orders/": lambda: {
            "platform_name": f"卡盟{rng.randint(1, 10**6)}",
            "order_number": "2024052100" + str(rng.randint(0, 9)),
            "product_name": "点券",
            "amount": "9.90",
        },
        # Uploads: a real PNG (evidence checks refuse bytes that are no known file type).
        "POST /api/v1/cases/{case_id}/evidence/": lambda: {
            "kind": "payment_voucher",
            "file": png_bytes(random_colour()),
        },
        "POST /api/v1/bundles/{bundle_id}/items/": lambda: {
            "kind": "error_screenshot",
            "file": png_bytes(random_colour()),
        },
        "POST /api/v1/cases/{case_id}/amend/": lambda: {
            "field": "description",
            "value": f"付款后订单消失,更正 {rng.randint(1, 10**6)}",
            "reason": "补充细节",
        },
        "POST /api/v1/cases/{case_id}/reopen/": lambda: {"reason": "退款没有到账"},
        "POST /api/v1/cases/{case_id}/details/": lambda: {
            "address": f"北京市朝阳区建国路 {rng.randint(1, 999)} 号",
            "other_proceedings": rng.choice(["no", "unsure"]),
        },
        "POST /api/v1/cases/{case_id}/resolve-by-staff/": lambda: {"reason": "已退款,未回复"},
        "POST /api/v1/cases/{case_id}/reject-response/": lambda: {"reason": "只退了一半"},
        "POST /api/v1/cases/{case_id}/record-acceptance/": lambda: {
            "accepted_at": (timezone.now() - timedelta(minutes=5)).isoformat()
        },
        "POST /api/v1/webhooks/": lambda: {
            "url": "https://hooks.example.cn/kamen",
            "platform_id": platform.pk,
        },
    }
    token = Token.objects.create(user=supervisor).key
    headers = {"Authorization": f"Token {token}", "Accept-Language": "en"}

    with wsgi_in_test_transaction() as app:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
        _fuzz_every_operation(schema, real_ids, cases, good_bodies, headers, capsys, rng, fresh_ids)


def _fuzz_every_operation(  # type: ignore[no-untyped-def]
    schema, real_ids, cases, good_bodies, headers, capsys, rng, fresh_ids
) -> None:
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    failures: list[str] = []

    def fuzz(operation, label: str) -> None:  # type: ignore[no-untyped-def]
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(), use_real_ids=st.sampled_from([True, True, True, False])
        )
        def run(case, use_real_ids) -> None:  # type: ignore[no-untyped-def]
            if use_real_ids:
                for name in case.path_parameters or {}:
                    if name in real_ids:
                        case.path_parameters[name] = rng.choice(real_ids[name])
                params = case.path_parameters or {}
                if "item_id" in params and "bundle_id" in params:
                    params["item_id"] = real_ids["draft_item_id"][0]
                elif "item_id" in params:
                    params["case_id"] = cases[0].pk  # the item's own case
                if label in good_bodies:
                    case.body = good_bodies[label]()
                elif isinstance(case.body, dict):
                    for name in set(case.body) & set(real_ids):
                        case.body[name] = rng.choice(real_ids[name])
            try:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
            except Exception as failure:
                failures.append(f"{label}: {str(failure)[:2000]}")
                return
            statuses[label][response.status_code] += 1

        run()

    for result in schema.get_all_operations():
        operation = result.ok()
        real_ids.update(fresh_ids())
        fuzz(operation, f"{operation.method.upper()} {operation.path}")

    lines = [f"{label:62} {dict(sorted(c.items()))}" for label, c in sorted(statuses.items())]
    requests = sum(sum(c.values()) for c in statuses.values())
    with capsys.disabled():  # the summary shows in every run, CI included
        print("\nschemathesis summary (operation: responses by status)")
        print("\n".join(lines))
        print(f"operations: {len(statuses)}, requests: {requests}, failures: {len(failures)}")
    assert failures == [], "\n\n".join(failures[:10])
    assert len(statuses) == len(list(schema.get_all_operations()))
    never_succeeded = sorted(op for op, c in statuses.items() if not any(s < 300 for s in c))
    assert never_succeeded == [], "these operations were only ever refused"
