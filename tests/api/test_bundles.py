"""Draft evidence: collected while the complaint is written, sealed when it is filed."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.choices import EventKind
from evidence.models import EvidenceItem
from tests.api.test_cases import case_body

pytestmark = pytest.mark.django_db


def upload(client, bundle_id, content=b"chat with customer service", kind="chat_log"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/bundles/{bundle_id}/items/",
        {"kind": kind, "file": SimpleUploadedFile("chat.txt", content)},
        format="multipart",
    )


def test_draft_items_stay_unsealed_until_filing_seals_them_in_the_timeline(alice_api) -> None:  # type: ignore[no-untyped-def]
    bundle = alice_api.post("/api/v1/bundles/").json()
    item = upload(alice_api, bundle["id"]).json()
    assert EvidenceItem.objects.get(pk=item["id"]).sealed_at is None
    assert [i["id"] for i in alice_api.get(f"/api/v1/bundles/{bundle['id']}/").json()["items"]] == [
        item["id"]
    ]

    filed = alice_api.post("/api/v1/cases/", case_body(bundle_id=bundle["id"]), format="json")

    assert filed.status_code == 201, filed.json()
    case_id = filed.json()["id"]
    evidence = alice_api.get(f"/api/v1/cases/{case_id}/evidence/").json()["results"]
    assert [e["sha256"] for e in evidence] == [
        hashlib.sha256(b"chat with customer service").hexdigest()
    ]
    assert evidence[0]["sealed_at"] is not None
    kinds = [e["kind"] for e in alice_api.get(f"/api/v1/cases/{case_id}/events/").json()["results"]]
    assert kinds == [EventKind.FILED, EventKind.EVIDENCE_ADDED]
    # the bundle is no longer a draft: not listed, not reachable, not reusable
    assert alice_api.get("/api/v1/bundles/").json()["results"] == []
    assert alice_api.get(f"/api/v1/bundles/{bundle['id']}/").status_code == 404
    again = alice_api.post("/api/v1/cases/", case_body(bundle_id=bundle["id"]), format="json")
    assert again.status_code == 404


def test_a_draft_item_can_be_taken_back_but_sealed_evidence_cannot(alice_api) -> None:  # type: ignore[no-untyped-def]
    bundle = alice_api.post("/api/v1/bundles/").json()
    keep = upload(alice_api, bundle["id"], b"keep").json()
    drop = upload(alice_api, bundle["id"], b"drop").json()

    response = alice_api.delete(f"/api/v1/bundles/{bundle['id']}/items/{drop['id']}/")

    assert response.status_code == 204
    assert list(EvidenceItem.objects.values_list("pk", flat=True)) == [keep["id"]]
    case_id = alice_api.post(
        "/api/v1/cases/", case_body(bundle_id=bundle["id"]), format="json"
    ).json()["id"]
    assert (
        alice_api.delete(f"/api/v1/bundles/{bundle['id']}/items/{keep['id']}/").status_code == 404
    )
    assert EvidenceItem.objects.filter(bundle__case_id=case_id).count() == 1


def test_others_drafts_answer_404(alice_api, mallory_api, tina_api) -> None:  # type: ignore[no-untyped-def]
    bundle = alice_api.post("/api/v1/bundles/").json()
    item = upload(alice_api, bundle["id"]).json()

    for client in (mallory_api, tina_api):
        assert client.get(f"/api/v1/bundles/{bundle['id']}/").status_code == 404
        assert upload(client, bundle["id"]).status_code == 404
        assert (
            client.delete(f"/api/v1/bundles/{bundle['id']}/items/{item['id']}/").status_code == 404
        )
        assert client.get("/api/v1/bundles/").json()["results"] == []
    body = case_body(bundle_id=bundle["id"])
    assert mallory_api.post("/api/v1/cases/", body, format="json").status_code == 404
    assert EvidenceItem.objects.count() == 1


def test_a_refused_filing_leaves_the_draft_as_it_was(alice_api) -> None:  # type: ignore[no-untyped-def]
    bundle = alice_api.post("/api/v1/bundles/").json()
    upload(alice_api, bundle["id"])

    refused = alice_api.post(
        "/api/v1/cases/",
        case_body(bundle_id=bundle["id"], order={"platform_name": ""}),
        format="json",
    )

    assert refused.status_code == 400
    assert alice_api.get(f"/api/v1/bundles/{bundle['id']}/").json()["items"] != []
    assert EvidenceItem.objects.get().sealed_at is None
