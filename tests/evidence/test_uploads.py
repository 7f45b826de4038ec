"""What an upload must be to become evidence, and what happens to the bytes."""

import hashlib
import io

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from PIL import Image

from complaints.choices import EventKind
from complaints.errors import ImmutableRecord, InvalidInput, NotFound
from evidence.models import EvidenceItem
from evidence.services import evidence_discard_draft_item
from tests.evidence import samples
from tests.evidence.conftest import stored_files
from tests.factories import case_filed

ACCEPTED = [
    ("photo.jpg", samples.jpeg_with_gps, "image/jpeg", "image/jpeg"),
    ("screen.png", lambda: samples.image_bytes("PNG"), "image/png", "image/png"),
    ("anim.gif", lambda: samples.image_bytes("GIF", "P"), "image/gif", "image/gif"),
    ("shot.webp", lambda: samples.image_bytes("WEBP"), "image/webp", "image/webp"),
    ("bank.pdf", samples.pdf, "application/pdf", "application/pdf"),
    ("rec.mp4", samples.mp4, "video/mp4", "video/mp4"),
    ("rec.mov", lambda: samples.mp4(b"qt  "), "video/quicktime", "video/quicktime"),
    ("rec.webm", samples.webm, "video/webm", "video/webm"),
    ("call.mp3", samples.mp3, "audio/mpeg", "audio/mpeg"),
    ("call.m4a", lambda: samples.mp4(b"M4A "), "audio/x-m4a", "audio/mp4"),
    ("call.amr", samples.amr, "", "audio/amr"),
    ("call.wav", samples.wav, "audio/wav", "audio/wav"),
    ("chat.txt", samples.chat_text, "text/plain", "text/plain"),
    ("chat.csv", samples.chat_csv, "application/vnd.ms-excel", "text/csv"),
    ("chat.json", samples.chat_json, "application/json", "application/json"),
    ("submit.har", samples.har_failed_submit, "", "application/har+json"),
]


@pytest.mark.parametrize(
    ("name", "make", "claimed", "detected"), ACCEPTED, ids=[a[0] for a in ACCEPTED]
)
def test_each_allowed_type_is_accepted_and_kept_byte_for_byte(  # type: ignore[no-untyped-def]
    bundle, add, name, make, claimed, detected
) -> None:
    content = make()
    item = add(bundle, name, content, content_type=claimed)
    assert item.content_type == detected
    with item.file.open("rb") as handle:
        assert handle.read() == content
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.size == len(content)
    assert item.original_name == name


def test_heic_is_accepted_when_it_can_be_made(bundle, add) -> None:  # type: ignore[no-untyped-def]
    content = samples.heic()
    if content is None:
        pytest.skip("this pillow-heif build has no HEIC encoder to make a sample with")
    assert add(bundle, "IMG_0001.HEIC", content).content_type == "image/heic"


BAD = [
    ("truncated.jpg", samples.truncated_jpeg, "", "damaged"),
    ("truncated-big.jpg", lambda: samples.truncated_jpeg((1600, 1200)), "", "damaged"),
    ("bomb.png", samples.decompression_bomb_png, "image/png", "too large"),
    ("voucher.jpg", samples.html_page, "image/jpeg", "Web pages"),
    ("page.txt", samples.html_page, "text/plain", "Web pages"),
    ("photo.jpg", samples.polyglot_jpeg_zip, "image/jpeg", "archive"),
    ("photo2.jpg", samples.polyglot_jpeg_html, "image/jpeg", "web-page code"),
    ("logs.zip", samples.zip_bomb, "application/zip", "not accepted"),
    ("logs.har", samples.zip_bomb, "", "not accepted"),
    ("empty.png", lambda: b"", "image/png", "empty"),
    ("voucher.pdf", lambda: samples.image_bytes("PNG"), "application/pdf", "claims to be"),
    ("voucher.png", lambda: samples.image_bytes("PNG"), "application/pdf", "claims to be"),
    ("setup.exe", lambda: b"MZ\x90\x00\x03" + bytes(200), "", "not accepted"),
    ("broken.har", lambda: samples.har_failed_submit()[:-40], "", "not valid JSON"),
    ("chat.json", lambda: samples.chat_json()[:-5], "application/json", "not valid JSON"),
    ("rec.pdf", lambda: samples.pdf() + samples.zip_bytes({"x.html": b"x"}), "", "archive"),
]


@pytest.mark.parametrize(("name", "make", "claimed", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_are_refused_with_a_message_and_nothing_is_stored(  # type: ignore[no-untyped-def]
    bundle, add, name, make, claimed, says
) -> None:
    before = stored_files()
    with pytest.raises(InvalidInput) as refused:
        add(bundle, name, make(), content_type=claimed)
    assert "file" in refused.value.fields
    with translation.override("en"), pytest.raises(InvalidInput) as in_english:
        add(bundle, name, make(), content_type=claimed)
    assert says in str(in_english.value.message)
    assert EvidenceItem.objects.count() == 0
    assert stored_files() == before


def test_refusals_are_in_chinese_by_default(bundle, add) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        add(bundle, "empty.png", b"")
    assert refused.value.message == "文件是空的。"


def test_the_original_keeps_its_exif_while_the_copy_and_thumbnail_have_none(bundle, add) -> None:  # type: ignore[no-untyped-def]
    content = samples.jpeg_with_gps(size=(800, 600))
    item = add(bundle, "pay.jpg", content)

    with item.file.open("rb") as handle:
        original = handle.read()
    assert original == content
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # GPS still there

    for derived in (item.redacted_file, item.thumbnail):
        with derived.open("rb") as handle:
            data = handle.read()
        image = Image.open(io.BytesIO(data))
        assert len(image.getexif()) == 0
        assert b"Exif" not in data and b"Kamen Phone" not in data
    with item.redacted_file.open("rb") as handle:
        copy = Image.open(handle)
        # an upright JPEG loses only its metadata: the picture is the very same pixels
        assert copy.size == (800, 600)
        assert copy.tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert max(Image.open(item.thumbnail.open("rb")).size) <= 320


def test_limits_per_file_and_per_case(bundle, add) -> None:  # type: ignore[no-untyped-def]
    with override_settings(EVIDENCE_MAX_FILE_BYTES=1000), pytest.raises(InvalidInput):
        add(bundle, "rec.mp4", samples.mp4(payload=2048))
    with override_settings(EVIDENCE_MAX_CASE_BYTES=6000):
        add(bundle, "rec.mp4", samples.mp4(payload=4096))
        with pytest.raises(InvalidInput):
            add(bundle, "rec2.mp4", samples.mp4(b"mp42", payload=4096))
    assert bundle.items.count() == 1


def test_a_recording_whose_tail_merely_contains_the_zip_signature_is_accepted(bundle, add) -> None:  # type: ignore[no-untyped-def]
    content = samples.mp4() + b"PK\x05\x06" + bytes(100)
    assert add(bundle, "rec.mp4", content).content_type == "video/mp4"


def test_a_failure_after_the_files_were_written_leaves_nothing_behind(  # type: ignore[no-untyped-def]
    complainant, add, monkeypatch
) -> None:
    case = case_filed(complainant=complainant)
    before = stored_files()

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr("evidence.services.event_append", broken)
    with pytest.raises(RuntimeError):
        add(case.evidence_bundle, "pay.jpg", samples.jpeg_with_gps())
    assert stored_files() == before
    assert not EvidenceItem.objects.exists()


def test_the_same_file_twice_is_refused(bundle, add) -> None:  # type: ignore[no-untyped-def]
    add(bundle, "a.pdf", samples.pdf())
    with pytest.raises(InvalidInput):
        add(bundle, "b.pdf", samples.pdf())


def test_only_the_owner_adds_to_a_bundle(bundle, add, outsider) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        add(bundle, "a.pdf", samples.pdf(), actor=outsider)


def test_evidence_added_to_a_filed_case_is_sealed_in_the_timeline(complainant, add) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    now = timezone.now()
    item = add(case.evidence_bundle, "later.pdf", samples.pdf(), kind="bank_statement", now=now)
    assert item.sealed_at == now
    event = case.events.get(kind=EventKind.EVIDENCE_ADDED)
    assert event.payload["sha256"] == item.sha256


def test_draft_items_can_be_discarded_but_filed_evidence_never(
    complainant, outsider, bundle, add, django_capture_on_commit_callbacks
) -> None:
    draft = add(bundle, "wrong.pdf", samples.pdf())
    with pytest.raises(NotFound):
        evidence_discard_draft_item(item=draft, actor=outsider)
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        evidence_discard_draft_item(item=draft, actor=complainant)
    assert not EvidenceItem.objects.filter(pk=draft.pk).exists()
    assert len(stored_files()) == len(before) - 1

    kept = add(bundle, "voucher.jpg", samples.jpeg_with_gps())
    case = case_filed(complainant=complainant, bundle=bundle)
    kept.refresh_from_db()
    with pytest.raises(ImmutableRecord):
        evidence_discard_draft_item(item=kept, actor=complainant)
    with pytest.raises(ImmutableRecord):
        kept.delete()
    case.refresh_from_db()
    assert EvidenceItem.objects.filter(pk=kept.pk).exists()


def test_a_portrait_photo_copy_is_turned_upright_since_it_loses_its_orientation_tag(
    bundle, add
) -> None:
    image = Image.new("RGB", (80, 40), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    item = add(bundle, "portrait.jpg", out.getvalue())
    with item.redacted_file.open("rb") as handle:
        assert Image.open(handle).size == (40, 80)


def test_a_sealed_item_cannot_be_changed_even_around_the_service(complainant, bundle, add) -> None:  # type: ignore[no-untyped-def]
    item = add(bundle, "voucher.pdf", samples.pdf())
    case_filed(complainant=complainant, bundle=bundle)
    item.refresh_from_db()
    item.sha256 = "0" * 64
    with pytest.raises(ImmutableRecord):
        item.save()
    assert EvidenceItem.objects.get(pk=item.pk).sha256 == hashlib.sha256(samples.pdf()).hexdigest()


def test_postgresql_itself_refuses_to_touch_sealed_evidence(
    postgres, complainant, bundle, add
) -> None:
    from django.db import IntegrityError, connection, transaction

    item = add(bundle, "voucher.pdf", samples.pdf())
    case_filed(complainant=complainant, bundle=bundle)
    for sql in (
        "UPDATE evidence_evidenceitem SET sha256 = 'x' WHERE id = %s",
        "DELETE FROM evidence_evidenceitem WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [item.pk])
    assert EvidenceItem.objects.filter(pk=item.pk, sha256=item.sha256).exists()
