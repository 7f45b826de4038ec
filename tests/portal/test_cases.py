"""My cases and the case page: clock, next step, and every action a complainant can take."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.sweep import case_escalate
from complaints.choices import CaseStatus, EventKind
from complaints.models import CaseEvent
from complaints.timeline import event_append
from complaints.transitions import case_transition
from escalation.models import TierStage
from evidence.models import EvidenceItem
from evidence.services import evidence_add
from tests.factories import case_filed
from tests.portal.conftest import EN, client_for
from tests.portal.helpers import png_file, text_file

pytestmark = pytest.mark.django_db

FILED = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0, 0))


def _case(complainant, **kwargs):  # type: ignore[no-untyped-def]
    return case_filed(complainant=complainant, now=FILED, **kwargs)


def test_my_cases_shows_the_clock_and_next_step(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    client = client_for(complainant)
    # The platform's first response is due 24 h after filing.
    with time_machine.travel(FILED + timedelta(hours=23, minutes=59), tick=False):
        body = client.get(reverse("portal:case_list")).content.decode()
    assert case.reference in body
    assert "剩余 1 分钟" in body
    assert 'class="deadline overdue"' not in body
    assert f"把投诉信发给{case.order.platform.name}，" in body
    with time_machine.travel(FILED + timedelta(hours=24), tick=False):
        body = client.get(reverse("portal:case_list")).content.decode()
    assert "剩余 0 分钟" in body
    with time_machine.travel(FILED + timedelta(hours=24, minutes=1), tick=False):
        body = client.get(reverse("portal:case_list")).content.decode()
    assert "已逾期 1 分钟" in body
    assert 'class="deadline overdue"' in body


def test_my_cases_lists_only_my_cases(complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = _case(complainant), _case(outsider)
    body = client_for(complainant).get(reverse("portal:case_list")).content.decode()
    assert mine.reference in body
    assert theirs.reference not in body


def test_case_page_in_english(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    body = client_for(complainant, EN).get(reverse("portal:case_detail", args=[case.reference]))
    text = body.content.decode()
    assert "Filing documents for this tier" in text
    assert "Complaint letter to the platform" in text
    assert "Complaint filed" in text


def test_document_download_is_the_platform_letter(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    response = client_for(complainant).get(reverse("portal:case_document", args=[case.reference]))
    assert response.status_code == 200
    assert f"{case.reference}-platform-letter-zh-hans.txt" in response["Content-Disposition"]
    assert case.order.order_number in response.content.decode()
    assert f"投诉编号:{case.reference}" in response.content.decode()


def test_the_case_page_shows_each_form_of_the_tier_with_its_own_copy_and_download(  # type: ignore[no-untyped-def]
    complainant, supervisor
) -> None:
    case = _case(complainant)
    case_escalate(case=case, actor=supervisor, reason="", now=timezone.now())
    client = client_for(complainant)
    body = client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()
    download = reverse("portal:case_document", args=[case.reference])
    for form, label in (("12315", "12315 投诉登记表"), ("heimao", "黑猫投诉公开文本")):
        assert f'<h3 id="doc-{form}-title">{label}</h3>' in body
        assert f'href="{download}?form={form}"' in body
        assert f'data-copy="#document-text-{form}"' in body
        assert f'<textarea id="document-text-{form}"' in body
    public = client.get(download + "?form=heimao")
    assert public.status_code == 200
    assert f"{case.reference}-watchdog-heimao-zh-hans.txt" in public["Content-Disposition"]
    assert public.content.decode().startswith("本文书尚缺") is False
    assert "黑猫投诉公开文本" in public.content.decode()
    first = client.get(download)  # the tier's first form
    assert f"{case.reference}-watchdog-12315-zh-hans.txt" in first["Content-Disposition"]
    assert client.get(download + "?form=small-claims").status_code == 200  # of its tier
    assert client.get(download + "?form=nonsense").status_code == 404
    assert client.get(download + "?tier=platform&form=heimao").status_code == 404


def test_message_is_recorded_in_the_timeline(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    url = reverse("portal:case_message", args=[case.reference])
    response = client_for(complainant).post(url, {"text": "客服说会处理，但没有下文。"})
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.kind, event.payload["text"]) == (EventKind.MESSAGE, "客服说会处理，但没有下文。")


def test_empty_message_is_refused_next_to_the_field(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    before = CaseEvent.objects.filter(case=case).count()
    response = client_for(complainant).post(
        reverse("portal:case_message", args=[case.reference]), {"text": ""}
    )
    assert response.status_code == 400
    assert "该字段是必填项。" in response.content.decode()
    assert CaseEvent.objects.filter(case=case).count() == before


def test_recording_the_tiers_reference_number(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    client_for(complainant).post(
        reverse("portal:case_reference", args=[case.reference]), {"reference": "GD-2026-0042"}
    )
    stage = TierStage.objects.get(case=case, closed_at__isnull=True)
    assert stage.external_reference == "GD-2026-0042"
    assert stage.filed_at is not None
    body = client_for(complainant).get(reverse("portal:case_detail", args=[case.reference]))
    assert "GD-2026-0042" in body.content.decode()


def test_adding_evidence_to_a_filed_case_seals_it(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    response = client_for(complainant).post(
        reverse("portal:case_add_evidence", args=[case.reference]),
        {"kind": "chat_log", "files": [text_file()]},
    )
    assert response.status_code == 302
    item = EvidenceItem.objects.get(bundle__case=case)
    assert item.sealed_at is not None
    assert CaseEvent.objects.filter(case=case, kind=EventKind.EVIDENCE_ADDED).count() == 1


def test_accept_and_reject_a_response(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    client = client_for(complainant)
    # No response yet: nothing to reject, nothing changes.
    client.post(reverse("portal:case_reject_response", args=[case.reference]), {"reason": "x"})
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    case_transition(case=case, to_status=CaseStatus.RESPONDED)
    response = client.post(
        reverse("portal:case_reject_response", args=[case.reference]), {"reason": "只退一半"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RESPONSE_REJECTED).exists()
    case_transition(case=case, to_status=CaseStatus.RESPONDED)
    client.post(reverse("portal:case_accept_response", args=[case.reference]))
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RESPONSE_ACCEPTED).exists()


def test_mark_resolved_with_outcome(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    client_for(complainant).post(
        reverse("portal:case_resolve", args=[case.reference]),
        {"outcome": "refund_received", "note": "已退款"},
    )
    case.refresh_from_db()
    assert (case.status, case.resolution_outcome) == (CaseStatus.RESOLVED, "refund_received")
    assert not TierStage.objects.filter(case=case, closed_at__isnull=True).exists()


def test_withdraw_needs_confirmation(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    client = client_for(complainant)
    url = reverse("portal:case_withdraw", args=[case.reference])
    assert client.post(url, {"reason": "算了"}).status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    client.post(url, {"reason": "算了", "confirm": "on"})
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN


def test_receipt_and_package_carry_the_file_hashes(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    item = evidence_add(
        bundle=case.evidence_bundle, actor=complainant, file=png_file(), kind="payment_voucher"
    )
    client = client_for(complainant)
    page = client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()
    receipt_url = reverse("evidence:receipt", args=[case.reference])
    package_url = reverse("evidence:package", args=[case.reference])
    assert f'href="{receipt_url}"' in page
    assert f'href="{package_url}"' in page
    receipt = client.get(receipt_url).content.decode()
    assert item.sha256 in receipt
    response = client.get(package_url + "?for=court")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["recipient"] == "court"
    assert manifest["files"][0]["sha256"] == item.sha256
    assert archive.read(manifest["files"][0]["file"]).startswith(b"\x89PNG")
    # for the platform (the current tier), the copy without metadata
    response = client.get(package_url)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    entry = json.loads(archive.read("manifest.json"))["files"][0]
    assert entry["sha256"] == item.sha256 and entry["copy"] == "redacted"
    assert archive.read(entry["file"]) == item.redacted_file.read()


# --- query counts: constant in the number of cases, events and evidence items ----------


def _queries(client, url) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_my_cases_query_count_does_not_grow_with_cases(complainant) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant)
    url = reverse("portal:case_list")
    _case(complainant)
    _queries(client, url)  # warm the session
    one = _queries(client, url)
    for _ in range(6):
        _case(complainant)
    assert _queries(client, url) == one


def test_case_page_query_count_does_not_grow_with_events_or_evidence(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    client = client_for(complainant)
    url = reverse("portal:case_detail", args=[case.reference])
    evidence_add(
        bundle=case.evidence_bundle, actor=complainant, file=png_file(), kind="payment_voucher"
    )
    _queries(client, url)
    small = _queries(client, url)
    for n in range(8):
        evidence_add(
            bundle=case.evidence_bundle,
            actor=complainant,
            file=png_file(f"p{n}.png", colour=(n * 20, 0, 0)),
            kind="error_screenshot",
        )
        event_append(case=case, kind=EventKind.MESSAGE, actor=complainant, payload={"text": n})
    assert _queries(client, url) == small


def test_adding_evidence_by_script_answers_json(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    url = reverse("portal:case_add_evidence", args=[case.reference])
    client = client_for(complainant)
    ok = client.post(
        url, {"kind": "chat_log", "files": [text_file()]}, headers={"x-requested-with": "fetch"}
    )
    assert (ok.status_code, ok.json()) == (200, {"errors": []})
    bad = client.post(url, {"kind": "chat_log"}, headers={"x-requested-with": "fetch"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == ["该字段是必填项。"]


def test_after_escalation_the_case_shows_the_watchdog_step(complainant) -> None:  # type: ignore[no-untyped-def]
    from casework.sweep import stage_escalate

    case = _case(complainant)
    stage = TierStage.objects.get(case=case, closed_at__isnull=True)
    assert stage_escalate(stage_id=stage.pk, now=FILED + timedelta(hours=25))
    client = client_for(complainant)
    with time_machine.travel(FILED + timedelta(hours=26), tick=False):
        body = client.get(reverse("portal:case_list")).content.decode()
        page = client.get(reverse("portal:case_detail", args=[case.reference]))
    assert "第 2 级，共 4 级" in body
    assert "12315" in body
    assert 'class="deadline overdue"' not in body  # the new tier's clock starts afresh
    assert page.status_code == 200


def test_a_paused_clock_says_it_waits_for_the_complainant(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    case_transition(case=case, to_status=CaseStatus.AWAITING_COMPLAINANT)
    TierStage.objects.filter(case=case).update(paused_at=FILED + timedelta(hours=1))
    body = client_for(complainant).get(reverse("portal:case_list")).content.decode()
    assert "计时暂停：等待您补充" in body
    assert "对方要求补充证据" in body
