"""A corpus of hostile uploads, built on the spot, sent through the portal and the API.

Each is refused with a 4xx and a message on the ``file`` field, never a 5xx; nothing is
stored (no row, no file under MEDIA_ROOT) and no temporary file is left behind.
"""

import tracemalloc
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from complaints.errors import InvalidInput
from evidence.models import EvidenceItem
from tests.api.conftest import client_for as api_client_for
from tests.evidence import samples
from tests.evidence.conftest import stored_files
from tests.factories import case_filed
from tests.portal.conftest import client_for as portal_client_for

pytestmark = pytest.mark.django_db

SMALL_LIMITS = {"EVIDENCE_MAX_FILE_BYTES": 4 * 1024 * 1024, "EVIDENCE_JSON_MAX_TOKENS": 50_000}

# name, content, claimed type, what the English message says
CORPUS = [
    ("spoofed.jpg", lambda: samples.image_bytes("PNG"), "image/jpeg", "claims to be"),
    ("invoice.pdf.exe", samples.pdf, "application/pdf", "claims to be"),
    ("voucher.png\x00.exe", lambda: b"MZ\x90\x00\x03" + bytes(200), "", "not accepted"),
    ("oversize.txt", lambda: b"a" * (4 * 1024 * 1024 + 1), "text/plain", "larger than"),
    ("empty.png", lambda: b"", "image/png", "empty"),
    ("truncated.jpg", samples.truncated_jpeg, "image/jpeg", "damaged"),
    ("bomb.png", samples.decompression_bomb_png, "image/png", "too large"),
    ("page.png", samples.html_after_png, "image/png", "web-page code"),
    ("logo.svg", samples.svg_with_script, "image/svg+xml", "Web pages"),
    ("logs.zip", samples.zip_bomb, "application/zip", "not accepted"),
    ("chat.json", samples.deep_json, "application/json", "levels deep"),
    ("net.har", samples.deep_json, "", "levels deep"),
    ("order.json", samples.long_number_json, "application/json", "number longer"),
    ("script.pdf", samples.pdf_with_javascript, "application/pdf", "active content"),
    ("names.pdf", samples.pdf_with_named_javascript, "application/pdf", "active content"),
    ("launch.pdf", samples.pdf_with_launch, "application/pdf", "active content"),
    ("attached.pdf", samples.pdf_with_embedded_file, "application/pdf", "active content"),
    ("actions.pdf", samples.pdf_with_additional_actions, "application/pdf", "active content"),
    ("huge.har", samples.huge_har, "", "values"),
]
IDS = [c[0].replace("\x00", "NUL") for c in CORPUS]


@pytest.fixture
def upload_tmp(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    """Uploads (Django's own spooling and the evidence copy) go to a directory we watch."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def _nothing_left(upload_tmp: Path, before: set[Path]) -> None:
    assert EvidenceItem.objects.count() == 0
    assert stored_files() == before
    assert list(upload_tmp.iterdir()) == []


@override_settings(**SMALL_LIMITS)
@pytest.mark.parametrize(("name", "make", "claimed", "says"), CORPUS, ids=IDS)
def test_the_api_refuses_each_with_a_message_and_keeps_nothing(  # type: ignore[no-untyped-def]
    complainant, upload_tmp, name, make, claimed, says
) -> None:
    case = case_filed(complainant=complainant)
    before = stored_files()
    response = api_client_for(complainant).post(
        f"/api/v1/cases/{case.pk}/evidence/",
        {"kind": "chat_log", "file": SimpleUploadedFile(name, make(), content_type=claimed)},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["fields"]["file"], error
    if name != "empty.png":  # DRF's own "The submitted file is empty." comes first
        assert says in " ".join(error["fields"]["file"])
    _nothing_left(upload_tmp, before)


@override_settings(**SMALL_LIMITS)
@pytest.mark.parametrize(("name", "make", "claimed", "says"), CORPUS, ids=IDS)
def test_the_portal_refuses_each_with_a_message_and_keeps_nothing(  # type: ignore[no-untyped-def]
    complainant, upload_tmp, name, make, claimed, says
) -> None:
    case = case_filed(complainant=complainant)
    before = stored_files()
    response = portal_client_for(complainant, "en").post(
        reverse("portal:case_add_evidence", args=[case.reference]),
        {"kind": "chat_log", "files": [SimpleUploadedFile(name, make(), content_type=claimed)]},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 400, response.content
    errors = " ".join(response.json()["errors"])
    assert errors
    if name != "empty.png":
        assert says in errors
    _nothing_left(upload_tmp, before)


def test_a_nul_in_the_name_is_refused_by_the_service_itself(bundle, add) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        add(bundle, "photo.jpg\x00.html", samples.jpeg_with_gps(), content_type="image/jpeg")
    assert "file" in refused.value.fields


def test_a_200_kb_deep_json_costs_less_than_50_mb(complainant, upload_tmp) -> None:  # type: ignore[no-untyped-def]
    """Unbounded, ijson needed 2 GB for 60 kB of ``[[[[…``; the limit holds it flat."""
    case = case_filed(complainant=complainant)
    client = api_client_for(complainant)
    tracemalloc.start()
    try:
        response = client.post(
            f"/api/v1/cases/{case.pk}/evidence/",
            {"kind": "chat_log", "file": SimpleUploadedFile("chat.json", samples.deep_json())},
            format="multipart",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_harmless_pdf_opening_at_page_one_is_accepted(bundle, add) -> None:  # type: ignore[no-untyped-def]
    item = add(bundle, "statement.pdf", samples.pdf_with_goto_open_action())
    assert item.content_type == "application/pdf"


def test_json_within_the_limits_still_parses_with_big_integers(bundle, add) -> None:  # type: ignore[no-untyped-def]
    """Message ids past 2**63 are common in chat exports; only absurd lengths are refused."""
    content = b'[{"msgid": 18446744073709551615, "text": "\\"[[[[\\" is text"}]'
    assert add(bundle, "chat.json", content).content_type == "application/json"


@pytest.mark.parametrize("pad", [4083, 4084, 4085])
def test_brackets_inside_strings_do_not_count_even_across_read_buffers(bundle, add, pad) -> None:  # type: ignore[no-untyped-def]
    """An escaped quote on a 4 kB read boundary (the backslash at byte 4094, 4095, 4096) must
    not end the string early."""
    text = "x" * pad + '\\"' + "[" * 5000
    content = b'[{"text": "' + text.encode() + b'"}]'
    assert add(bundle, f"chat{pad}.json", content).content_type == "application/json"
