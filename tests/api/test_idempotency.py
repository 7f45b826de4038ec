"""Idempotency-Key on filing and on evidence upload."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from api.idempotency import idempotency_keys_purge
from api.models import IdempotencyKey
from complaints.models import ComplaintCase, Order
from evidence.models import EvidenceItem
from tests.api.test_cases import case_body

pytestmark = pytest.mark.django_db


def test_a_retry_returns_the_first_answer_and_files_nothing_new(alice_api) -> None:  # type: ignore[no-untyped-def]
    first = alice_api.post("/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = alice_api.post("/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert ComplaintCase.objects.count() == 1
    assert Order.objects.count() == 1


def test_same_key_with_a_different_body_is_refused(alice_api) -> None:  # type: ignore[no-untyped-def]
    alice_api.post("/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = alice_api.post(
        "/api/v1/cases/",
        case_body(description="另一件事"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert ComplaintCase.objects.count() == 1


def test_keys_belong_to_their_user(alice_api, mallory_api) -> None:  # type: ignore[no-untyped-def]
    alice = alice_api.post(
        "/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    mallory = mallory_api.post(
        "/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    assert alice.status_code == mallory.status_code == 201
    assert alice.json()["id"] != mallory.json()["id"]


def test_a_refused_request_does_not_burn_the_key(alice_api) -> None:  # type: ignore[no-untyped-def]
    bad = alice_api.post(
        "/api/v1/cases/", case_body(problem_type="x"), format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()

    good = alice_api.post("/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


def test_without_a_key_each_post_files_a_case(alice_api) -> None:  # type: ignore[no-untyped-def]
    alice_api.post("/api/v1/cases/", case_body(), format="json")
    alice_api.post("/api/v1/cases/", case_body(), format="json")

    assert ComplaintCase.objects.count() == 2


def test_evidence_upload_retry_stores_the_file_once(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    def send(content: bytes):  # type: ignore[no-untyped-def]
        return alice_api.post(
            f"/api/v1/cases/{alice_case.pk}/evidence/",
            {"kind": "chat_log", "file": SimpleUploadedFile("chat.txt", content)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, retry = send(b"customer service said wait"), send(b"customer service said wait")
    different = send(b"another file")

    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert different.status_code == 422
    assert EvidenceItem.objects.count() == 1
    assert alice_case.events.filter(kind="evidence_added").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_case(postgres, complainant) -> None:  # type: ignore[no-untyped-def]
    """Both requests race on the unique key; the loser waits and replays the winner."""
    results: list[tuple[int, int | None]] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        client = APIClient()
        client.force_authenticate(complainant)
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            results.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ComplaintCase.objects.count() == 1
    case_id = ComplaintCase.objects.get().pk
    # each racer got the case, or was told the first is still in flight; none made another
    assert all(status in {201, 409} for status, _ in results), results
    assert {cid for status, cid in results if status == 201} == {case_id}


@override_settings(IDEMPOTENCY_KEY_TTL_HOURS=24)
def test_keys_are_forgotten_after_their_time(alice_api) -> None:  # type: ignore[no-untyped-def]
    alice_api.post("/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    created = IdempotencyKey.objects.get().created_at

    assert idempotency_keys_purge(now=created + timedelta(hours=24)) == 0
    assert idempotency_keys_purge(now=created + timedelta(hours=24, seconds=1)) == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "钥匙"])
def test_malformed_keys_are_refused(alice_api, key) -> None:  # type: ignore[no-untyped-def]
    response = alice_api.post(
        "/api/v1/cases/", case_body(), format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert not ComplaintCase.objects.exists()
