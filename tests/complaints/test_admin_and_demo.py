from django.http import HttpRequest  # django-axes needs a request to count sign-ins
from django.test import Client
from django.urls import reverse

from casework.demo import DEMO_LOGINS, seed_demo
from complaints.models import ComplaintCase


def test_demo_data_spans_tiers_and_states_and_loads_once(db: None) -> None:
    seed_demo()
    seed_demo()
    cases = ComplaintCase.objects.all()
    assert cases.count() == 7
    assert {c.tier for c in cases} >= {"platform", "watchdog", "payment"}
    assert {c.status for c in cases} >= {
        "responded",
        "submitted",
        "resolved",
        "withdrawn",
        "awaiting_complainant",
    }


def test_the_demo_case_waiting_on_the_complainant_has_its_clock_paused(db: None) -> None:
    seed_demo()
    waiting = ComplaintCase.objects.get(status="awaiting_complainant")
    stage = waiting.stages.get(closed_at__isnull=True)
    assert stage.paused_at is not None


def test_demo_case_has_evidence_that_verifies(db: None) -> None:
    from evidence.integrity import case_verify

    seed_demo()
    case = ComplaintCase.objects.get(order__order_number="20261120001")
    kinds = set(case.evidence_bundle.items.values_list("kind", flat=True))
    assert kinds == {"payment_voucher", "chat_log"}
    assert case_verify(case) == []


def test_admin_lists_the_demo_cases(db: None) -> None:
    seed_demo()
    client = Client()
    admin = DEMO_LOGINS[0]
    assert client.login(request=HttpRequest(), username=admin.username, password=admin.password)
    # The queue is the open cases; "all" shows the closed ones too (staff/admin/triage.py).
    response = client.get(reverse("admin:complaints_complaintcase_changelist"), {"cases": "all"})
    assert response.status_code == 200
    for reference in ComplaintCase.objects.values_list("reference", flat=True):
        assert reference in response.content.decode()


def test_triager_reaches_cases_but_cannot_delete_them(db: None) -> None:
    seed_demo()
    client = Client()
    triager = DEMO_LOGINS[1]
    assert client.login(request=HttpRequest(), username=triager.username, password=triager.password)
    case = ComplaintCase.objects.first()
    url = reverse("admin:complaints_complaintcase_change", args=[case.pk])
    assert client.get(url).status_code == 200
    delete = reverse("admin:complaints_complaintcase_delete", args=[case.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ComplaintCase.objects.filter(pk=case.pk).exists()


def test_complainant_cannot_enter_the_admin(db: None) -> None:
    seed_demo()
    client = Client()
    demo = DEMO_LOGINS[2]
    client.login(request=HttpRequest(), username=demo.username, password=demo.password)
    response = client.get(reverse("admin:complaints_complaintcase_changelist"))
    assert response.status_code == 302


def test_health_check(client, db: None) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json()["status"] == "ok"


def test_the_demo_complainant_signs_in_to_the_portal_by_email(db: None) -> None:
    seed_demo()
    demo = DEMO_LOGINS[2]
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": demo.email, "password": demo.password}
    )
    assert response.status_code == 302
    cases = client.get(reverse("portal:case_list"))
    assert cases.status_code == 200
    for reference in ComplaintCase.objects.values_list("reference", flat=True):
        assert reference in cases.content.decode()
