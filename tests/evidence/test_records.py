"""Receipts, the verify_evidence command, the evidence package and the PDF summary."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework import actions
from casework.packages import case_package
from casework.sweep import case_escalate
from complaints.models import Profile
from evidence.integrity import case_verify
from evidence.pdf import summary_pdf
from evidence.receipt import (
    beijing,
    receipt_build,
    receipt_canonical,
    receipt_fingerprint,
    receipt_json,
    receipt_text,
)
from evidence.storage import evidence_storage
from tests.evidence import samples
from tests.evidence.conftest import upload
from tests.factories import case_filed


@pytest.fixture
def case(complainant, bundle, add):  # type: ignore[no-untyped-def]
    add(bundle, "支付凭证.jpg", samples.jpeg_with_gps(), kind="payment_voucher")
    add(bundle, "订单.png", samples.image_bytes("PNG"), kind="order_record")
    add(bundle, "提交.har", samples.har_failed_submit(), kind="network_log")
    return case_filed(complainant=complainant, bundle=bundle)


def test_the_receipt_lists_every_hash_and_the_chain_head(case) -> None:  # type: ignore[no-untyped-def]
    receipt = receipt_build(case)
    items = case.evidence_bundle.items.order_by("pk")
    assert [i["sha256"] for i in receipt["items"]] == [i.sha256 for i in items]
    last = case.events.order_by("-seq").first()
    assert receipt["chain_head"] == {
        "seq": last.seq,
        "hash": last.hash,
        "at": beijing(last.created_at),
    }
    assert receipt["chain_head"]["at"].endswith("+08:00")
    assert all(i["uploaded_at"].endswith("+08:00") for i in receipt["items"])
    assert receipt["filed_at"].endswith("+08:00") and receipt["issued_at"].endswith("+08:00")
    text = receipt_text(receipt)
    assert case.reference in text and last.hash in text
    assert all(i.sha256 in text for i in items)
    assert "证据回执" in text
    # kinds by their translated labels, never the raw keys
    assert "支付凭证" in text and "payment_voucher" not in text


def test_the_same_state_gives_the_same_fingerprint_whenever_issued(case) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    first = receipt_build(case)
    later = receipt_build(case, now=timezone.now() + timedelta(days=3))
    assert first["issued_at"] != later["issued_at"]
    assert first["receipt_sha256"] == later["receipt_sha256"] == receipt_fingerprint(later)
    assert (
        hashlib.sha256(receipt_canonical(json.loads(receipt_json(first)))).hexdigest()
        == (first["receipt_sha256"])
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(case_package(case, language="zh-hans"))))
    assert json.loads(archive.read("receipt.json"))["receipt_sha256"] == first["receipt_sha256"]
    assert first["receipt_sha256"] in archive.read("receipt.txt").decode()


def test_verify_evidence_passes_on_an_untouched_case(case) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("verify_evidence", case.reference, stdout=out)
    assert "OK: 1 case(s)" in out.getvalue()


def test_verify_evidence_catches_a_flipped_byte(case) -> None:  # type: ignore[no-untyped-def]
    item = case.evidence_bundle.items.get(kind="order_record")
    path = evidence_storage().path(item.file.name)
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 2] ^= 0x01
    with open(path, "wb") as handle:
        handle.write(data)

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_evidence", case.reference, stdout=out)
    assert f"{case.reference} item {item.pk} (订单.png): file content does not match" in (
        out.getvalue()
    )


def test_verify_evidence_catches_an_edited_event(case) -> None:  # type: ignore[no-untyped-def]
    event = case.events.get(kind="filed")
    table = "complaints_caseevent"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the operator going around the append-only trigger, as a superuser could
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            f"UPDATE {table} SET payload = %s WHERE id = %s",  # noqa: S608
            [json.dumps({**event.payload, "amount": "3000.00"}), event.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
    problems = [str(m) for m in case_verify(case)]
    assert problems == [f"{case.reference}: event {event.seq}: content does not match its hash"]
    with pytest.raises(CommandError):
        call_command("verify_evidence", stdout=io.StringIO())


def test_the_package_holds_every_original_and_its_manifest_matches_byte_for_byte(case) -> None:  # type: ignore[no-untyped-def]
    data = b"".join(case_package(case, language="zh-hans", recipient="court"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {
        "index.html",
        "manifest.json",
        "timeline.json",
        "receipt.json",
        "receipt.txt",
        "summary.pdf",
    } <= names
    assert any(n.startswith("filing/") for n in names)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["recipient"] == "court"
    assert len(manifest["files"]) == 3
    for entry in manifest["files"]:
        body = archive.read(entry["file"])
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert len(body) == entry["size"]
    originals = {i.sha256 for i in case.evidence_bundle.items.all()}
    assert {e["sha256"] for e in manifest["files"]} == originals
    index = archive.read("index.html").decode()
    assert all(e["file"] in index for e in manifest["files"])
    timeline = json.loads(archive.read("timeline.json"))
    assert [e["hash"] for e in timeline] == list(
        case.events.order_by("seq").values_list("hash", flat=True)
    )


def test_the_package_download_has_its_length_up_front(case, complainant) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(complainant)
    response = client.get(reverse("evidence:package", kwargs={"reference": case.reference}))
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None


def test_a_package_for_anyone_but_the_court_holds_the_redacted_copies(case) -> None:  # type: ignore[no-untyped-def]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(case_package(case, language="zh-hans"))))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["recipient"] == "platform"  # the reader of the case's current tier
    items = {i.sha256: i for i in case.evidence_bundle.items.all()}
    for entry in manifest["files"]:
        body = archive.read(entry["file"])
        item = items[entry["sha256"]]  # the original's hash, for proof
        if item.redacted_file:
            assert entry["copy"] == "redacted" and len(body) == entry["copy_size"]
            assert body == item.redacted_file.read()
        else:
            assert entry["copy"] == "original" and hashlib.sha256(body).hexdigest() == item.sha256


def test_the_pdf_summary_embeds_a_cjk_truetype_font_and_every_order_and_demand_field(case) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    from evidence.pdf import font_path

    assert font_path() is not None, "the CJK font the project installs is missing"
    pdf = summary_pdf(case)
    assert pdf.startswith(b"%PDF-")
    assert b"STSong-Light" not in pdf
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    cjk = [f.get_object() for f in fonts.values() if "/FontDescriptor" in f.get_object()]
    # a subset (its name prefixed "ABCDEF+"), embedded as a TrueType font file
    assert cjk and all("+" in str(f["/BaseFont"]) for f in cjk)
    assert all("/FontFile2" in f["/FontDescriptor"].get_object() for f in cjk)
    text = "".join(page.extract_text() for page in reader.pages)
    assert case.subject_line in text.replace("\n", "")
    order = case.order
    for value in (
        order.platform.name,
        order.order_number,
        order.product_name,
        str(order.amount),
        order.get_payment_method_display(),
        case.get_demand_kind_display(),
        "付款时间",
        "支付方式",
        "支付流水号",
        "诉求说明",
        "期限",
    ):
        assert value in text, value


def test_the_receipt_is_emailed_at_filing_and_after_each_added_item(  # type: ignore[no-untyped-def]
    complainant, bundle, add, django_capture_on_commit_callbacks
) -> None:
    from django.core import mail

    add(bundle, "voucher.pdf", samples.pdf())
    with django_capture_on_commit_callbacks(execute=True):
        case = case_filed(complainant=complainant, bundle=bundle)
    with django_capture_on_commit_callbacks(execute=True):
        [later] = actions.case_evidence_add(
            case=case,
            actor=complainant,
            files=[upload("chat.txt", samples.chat_text())],
            kind="chat_log",
        )
    assert [m.to for m in mail.outbox] == [[complainant.email]] * 2
    # At filing the receipt is the one "filed" email; later ones are receipts alone.
    assert mail.outbox[0].subject == f"投诉 {case.reference} 已提交"
    assert mail.outbox[1].subject == f"证据回执：{case.reference}"
    assert later.sha256 not in mail.outbox[0].body
    assert later.sha256 in mail.outbox[1].body
    head = case.events.order_by("-seq").first()
    assert head.hash in mail.outbox[1].body


def test_the_package_holds_every_form_of_the_tier_for_its_reader(complainant, supervisor) -> None:  # type: ignore[no-untyped-def]
    """At the watchdog tier: the 12315 form and the 黑猫 text; a public package (for 黑猫)
    only the text meant for publication, which names nobody."""
    Profile.objects.update_or_create(
        user=complainant, defaults={"name": "王小明", "phone": "13812345678", "address": "杭州"}
    )
    case = case_filed(complainant=complainant)
    case_escalate(case=case, actor=supervisor, reason="", now=timezone.now())

    def filings(recipient: str) -> dict[str, str]:
        data = b"".join(case_package(case, language="zh-hans", recipient=recipient))
        archive = zipfile.ZipFile(io.BytesIO(data))
        return {
            n.removeprefix("filing/"): archive.read(n).decode()
            for n in archive.namelist()
            if n.startswith("filing/")
        }

    ref = case.reference
    regulator = filings("regulator")
    assert set(regulator) == {
        f"{ref}-watchdog-12315-zh-hans.txt",
        f"{ref}-watchdog-heimao-zh-hans.txt",
    }
    assert "电话:13812345678" in regulator[f"{ref}-watchdog-12315-zh-hans.txt"]
    platform = filings("platform")
    assert "电话:138****5678" in platform[f"{ref}-watchdog-12315-zh-hans.txt"]
    public = filings("public")
    assert set(public) == {f"{ref}-watchdog-heimao-zh-hans.txt"}
    assert "王小明" not in public[f"{ref}-watchdog-heimao-zh-hans.txt"]
