"""Evidence upload, list and download; documents, package and receipt."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework.sweep import case_escalate
from complaints.choices import EventKind
from evidence.models import EvidenceItem
from tests.api.files import PDF, PNG, pdf_upload, png_upload

pytestmark = pytest.mark.django_db


def upload(client, case, file=None, kind="payment_voucher", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"kind": kind, "file": file or png_upload(), **extra},
        format="multipart",
    )


def test_upload_seals_the_item_and_records_its_hash_in_the_timeline(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    response = upload(alice_api, alice_case)

    assert response.status_code == 201, response.json()
    item = response.json()
    assert item["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert item["size"] == len(PNG)
    assert item["content_type"] == "image/png"
    assert item["sealed_at"] is not None
    event = alice_case.events.order_by("-seq").first()
    assert event.kind == EventKind.EVIDENCE_ADDED
    assert event.payload["sha256"] == item["sha256"]

    listed = alice_api.get(f"/api/v1/cases/{alice_case.pk}/evidence/").json()["results"]
    assert [i["id"] for i in listed] == [item["id"]]


def test_download_returns_the_bytes_as_uploaded_and_only_to_those_who_may_see(
    alice_api, mallory_api, tina_api, alice_case
) -> None:
    item = upload(alice_api, alice_case).json()
    url = item["download_url"]

    own = alice_api.get(url)
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PNG
    assert own["X-Content-SHA256"] == item["sha256"]
    assert mallory_api.get(url).status_code == 404
    assert tina_api.get(url).status_code == 200


def test_outsider_cannot_upload_to_or_list_someone_elses_case(mallory_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    assert upload(mallory_api, alice_case).status_code == 404
    assert mallory_api.get(f"/api/v1/cases/{alice_case.pk}/evidence/").status_code == 404
    assert EvidenceItem.objects.count() == 0


def test_empty_file_or_unknown_kind_is_refused_and_stores_nothing(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    empty = upload(alice_api, alice_case, file=png_upload(content=b""))
    unknown = upload(alice_api, alice_case, kind="selfie")

    assert empty.status_code == 400
    assert "file" in empty.json()["error"]["fields"]
    assert unknown.status_code == 400
    assert "kind" in unknown.json()["error"]["fields"]
    assert EvidenceItem.objects.count() == 0


def test_no_upload_once_the_case_has_ended(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    alice_api.post(f"/api/v1/cases/{alice_case.pk}/withdraw/", {}, format="json")

    response = upload(alice_api, alice_case)

    assert response.status_code == 409  # the case's state, not the file, is the problem
    assert response.json()["error"]["fields"]["file"] == [
        "This complaint is closed; evidence can no longer be added."
    ]
    assert EvidenceItem.objects.count() == 0


def test_a_file_that_is_not_what_it_claims_is_refused_and_stores_nothing(
    alice_api, alice_case
) -> None:
    disguised = SimpleUploadedFile("chat.txt", PNG, content_type="text/plain")

    response = upload(alice_api, alice_case, file=disguised, kind="chat_log")

    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert EvidenceItem.objects.count() == 0


def test_package_is_a_zip_with_every_item_and_a_manifest(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    upload(alice_api, alice_case)
    upload(alice_api, alice_case, file=pdf_upload(), kind="bank_statement")

    response = alice_api.get(f"/api/v1/cases/{alice_case.pk}/package/?for=court")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case"] == alice_case.reference
    assert {f["sha256"] for f in manifest["files"]} == {
        hashlib.sha256(PNG).hexdigest(),
        hashlib.sha256(PDF).hexdigest(),
    }
    assert {archive.read(f["file"]) for f in manifest["files"]} == {PNG, PDF}


def test_receipt_names_the_timeline_head_and_item_hashes(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    item = upload(alice_api, alice_case).json()

    receipt = alice_api.get(f"/api/v1/cases/{alice_case.pk}/receipt/").json()

    head = alice_case.events.order_by("-seq").first()
    assert receipt["case"] == alice_case.reference
    assert receipt["chain_head"]["seq"] == head.seq
    assert receipt["chain_head"]["hash"] == head.hash
    assert len(receipt["receipt_sha256"]) == 64
    assert [i["sha256"] for i in receipt["items"]] == [item["sha256"]]


def test_documents_render_the_platform_letter_in_the_asked_language(alice_api, alice_case) -> None:  # type: ignore[no-untyped-def]
    zh = alice_api.get(f"/api/v1/cases/{alice_case.pk}/documents/?language=zh-hans").json()
    en = alice_api.get(f"/api/v1/cases/{alice_case.pk}/documents/?language=en").json()

    assert [(d["tier"], d["form"]) for d in zh["documents"]] == [("platform", "letter")]
    assert zh["documents"][0]["form_label"] == "致平台的投诉函"
    assert en["documents"][0]["form_label"] == "Complaint letter to the platform"
    assert zh["documents"][0]["recipient"] == "platform"
    assert alice_case.order.order_number in zh["documents"][0]["body"]
    assert zh["documents"][0]["body"] != en["documents"][0]["body"]
    bad = alice_api.get(f"/api/v1/cases/{alice_case.pk}/documents/?language=fr")
    assert bad.status_code == 400


def test_documents_list_every_form_of_every_tier_reached(alice_api, alice_case, supervisor) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        case_escalate(case=alice_case, actor=supervisor, reason="", now=timezone.now())
    documents = alice_api.get(f"/api/v1/cases/{alice_case.pk}/documents/?language=en").json()
    assert [(d["tier"], d["form"], d["recipient"]) for d in documents["documents"]] == [
        ("platform", "letter", "platform"),
        ("watchdog", "12315", "regulator"),
        ("watchdog", "heimao", "public"),
        ("payment", "payment-other", "regulator"),  # the factory's order: "other" payment
        ("legal", "mediation", "regulator"),
        ("legal", "small-claims", "court"),
    ]
    assert documents["documents"][2]["form_label"] == "Black Cat public text"
    filenames = {d["filename"] for d in documents["documents"]}
    assert f"{alice_case.reference}-legal-small-claims-en.txt" in filenames
    assert len(filenames) == 6


def test_the_schema_names_each_documents_form(alice_api) -> None:  # type: ignore[no-untyped-def]
    schema = alice_api.get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["DocumentOutput"]["properties"]
    assert {"form", "form_label", "recipient", "tier", "body"} <= set(fields)
