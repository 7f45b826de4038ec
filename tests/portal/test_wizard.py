"""The filing wizard: saved at every step, resumable, validated in the user's language."""

import pytest
from django.core import mail
from django.urls import reverse

from complaints.choices import CaseStatus
from complaints.models import ComplaintCase, Platform
from complaints.tiers import Tier
from evidence.models import EvidenceItem
from portal.models import FilingDraft
from tests.portal.conftest import EN, ZH, client_for
from tests.portal.helpers import (
    DEMAND,
    ORDER,
    PROBLEM,
    png_file,
    post_step,
    step_url,
    text_file,
    wizard_to_review,
)

pytestmark = pytest.mark.django_db


def test_start_creates_one_draft_and_resumes_it(alice_client, complainant) -> None:  # type: ignore[no-untyped-def]
    assert alice_client.get(reverse("portal:file_start"))["Location"] == step_url(1)
    post_step(alice_client, 1, ORDER)
    assert alice_client.get(reverse("portal:file_start"))["Location"] == step_url(2)
    assert FilingDraft.objects.filter(owner=complainant).count() == 1


def test_answers_survive_a_new_session(complainant) -> None:  # type: ignore[no-untyped-def]
    post_step(client_for(complainant), 1, ORDER)
    later = client_for(complainant)  # another browser, same person
    body = later.get(step_url(1)).content.decode()
    assert 'value="20260301201507001"' in body
    assert 'value="星辰卡盟"' in body


def test_steps_ahead_of_the_draft_are_not_reachable(alice_client) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.get(step_url(4))
    assert response["Location"] == step_url(1)


@pytest.mark.parametrize(
    ("language", "required", "future"),
    [
        (ZH, "该字段是必填项。", "这个时间晚于现在。"),
        (EN, "This field is required.", "This time is in the future."),
    ],
)
def test_step1_messages_next_to_fields_and_input_kept(
    complainant, language, required, future
) -> None:
    client = client_for(complainant, language)
    bad = {**ORDER, "order_number": "", "paid_at": "2099-01-01T00:00:00", "amount": "0"}
    response = post_step(client, 1, bad)
    assert response.status_code == 400
    body = response.content.decode()
    assert required in body
    assert future in body
    assert 'value="腾讯视频 SVIP 月卡"' in body  # what was typed is still there
    draft = FilingDraft.objects.get(owner=complainant)
    assert draft.data["1"]["paid_at"] == "2099-01-01T00:00:00"
    assert draft.step == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (ZH, "第 2 行：请先写时间（如 2026-03-01 20:15:07），再写发生了什么。"),
        (EN, "Line 2: start with the time, e.g. 2026-03-01 20:15:07, then say what happened."),
    ],
)
def test_step2_timeline_lines_need_a_time_to_the_second(complainant, language, message) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant, language)
    post_step(client, 1, ORDER)
    bad = {**PROBLEM, "timeline": "2026-03-01 20:15:07 付款\n昨天晚上 订单消失"}
    response = post_step(client, 2, bad)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "昨天晚上 订单消失" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"), [(ZH, "该字段是必填项。"), (EN, "This field is required.")]
)
def test_step2_problem_type_is_required(complainant, language, message) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant, language)
    post_step(client, 1, ORDER)
    response = post_step(client, 2, {**PROBLEM, "problem_type": ""})
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"), [(ZH, "该字段是必填项。"), (EN, "This field is required.")]
)
def test_step3_upload_without_files_says_so(complainant, language, message) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant, language)
    post_step(client, 1, ORDER)
    post_step(client, 2, PROBLEM)
    response = client.post(step_url(3), {"kind": "payment_voucher", "upload": "1"})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_step3_upload_keeps_files_in_the_draft_bundle(alice_client, complainant) -> None:  # type: ignore[no-untyped-def]
    post_step(alice_client, 1, ORDER)
    post_step(alice_client, 2, PROBLEM)
    response = alice_client.post(
        step_url(3), {"kind": "payment_voucher", "files": [png_file(), text_file()]}
    )
    assert response.status_code == 302
    draft = FilingDraft.objects.get(owner=complainant)
    items = list(EvidenceItem.objects.filter(bundle=draft.bundle))
    assert sorted(i.original_name for i in items) == ["chat.txt", "pay.png"]
    assert all(i.sealed_at is None and len(i.sha256) == 64 for i in items)
    page = alice_client.get(step_url(3)).content.decode()
    assert "pay.png" in page
    assert "支付凭证" in page  # the checklist marks the voucher present


def test_step3_ajax_upload_answers_json(alice_client) -> None:  # type: ignore[no-untyped-def]
    post_step(alice_client, 1, ORDER)
    post_step(alice_client, 2, PROBLEM)
    response = alice_client.post(
        step_url(3),
        {"kind": "order_record", "files": [png_file("order.png")]},
        headers={"x-requested-with": "fetch"},
    )
    assert response.status_code == 200
    assert response.json()["added"][0]["name"] == "order.png"
    assert response.json()["errors"] == []


def test_step3_removing_a_draft_file(alice_client, complainant) -> None:  # type: ignore[no-untyped-def]
    post_step(alice_client, 1, ORDER)
    post_step(alice_client, 2, PROBLEM)
    alice_client.post(step_url(3), {"kind": "payment_voucher", "files": [png_file()]})
    item = EvidenceItem.objects.get(bundle__owner=complainant)
    response = alice_client.post(reverse("portal:file_evidence_remove", args=[item.pk]))
    assert response.status_code == 302
    assert not EvidenceItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (ZH, "请填写要求的金额（退款加赔偿）。"),
        (EN, "Say how much you ask for, refund plus compensation."),
    ],
)
def test_step4_compensation_needs_an_amount(complainant, language, message) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant, language)
    wizard_to_review(client)
    bad = {**DEMAND, "demand_kind": "refund_compensation", "demand_amount": ""}
    response = post_step(client, 4, bad)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [(ZH, "确保该值大于或等于1。"), (EN, "Ensure this value is greater than or equal to 1.")],
)
def test_step4_deadline_hours_at_least_one(complainant, language, message) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant, language)
    wizard_to_review(client)
    response = post_step(client, 4, {**DEMAND, "demand_within_hours": "0"})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_review_shows_the_platform_letter_then_submit_files_the_case(  # type: ignore[no-untyped-def]
    alice_client, complainant, django_capture_on_commit_callbacks
) -> None:
    wizard_to_review(alice_client, files=[png_file(), text_file()])
    review = alice_client.get(step_url(5))
    body = review.content.decode()
    assert review.status_code == 200
    assert "星辰卡盟 客服 / 投诉处理部门" in body
    assert "20260301201507001" in body
    assert "2026-03-01 20:15:07 支付宝付款成功" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(step_url(5), {"submit": "1"})
    case = ComplaintCase.objects.get(complainant=complainant)
    assert response["Location"] == reverse("portal:case_detail", args=[case.reference])
    assert case.status == CaseStatus.SUBMITTED
    assert case.tier == Tier.PLATFORM
    assert case.order.platform == Platform.objects.get(name="星辰卡盟")
    assert str(case.order.amount) == "30.00"
    assert case.order.paid_at.second == 7
    assert "时间线：" in case.description
    sealed = EvidenceItem.objects.filter(bundle__case=case)
    assert sealed.count() == 2
    assert all(i.sealed_at is not None for i in sealed)
    assert FilingDraft.objects.get(owner=complainant).case == case
    # One email at filing: the reference, the next step with the letter, and the receipt.
    assert [m.to for m in mail.outbox] == [[complainant.email]]
    filed = mail.outbox[0]
    assert filed.subject == f"投诉 {case.reference} 已提交"
    assert reverse("portal:case_detail", args=[case.reference]) in filed.body
    assert "星辰卡盟 客服 / 投诉处理部门" in filed.body
    assert all(item.sha256 in filed.body for item in sealed)
    page = alice_client.get(response["Location"]).content.decode()
    assert f"回执和下一步已发送至 {complainant.email}" in page
    # A second submit (double click, back button) does not file a second case.
    alice_client.post(step_url(5), {"submit": "1"})
    assert ComplaintCase.objects.filter(complainant=complainant).count() == 1


def test_after_filing_a_new_complaint_starts_a_fresh_draft(alice_client, complainant) -> None:  # type: ignore[no-untyped-def]
    wizard_to_review(alice_client)
    alice_client.post(step_url(5), {"submit": "1"})
    assert alice_client.get(reverse("portal:file_start"))["Location"] == step_url(1)
    assert FilingDraft.objects.filter(owner=complainant, case__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("language", "message", "required"),
    [
        (ZH, "请先完成这一步。", "该字段是必填项。"),
        (EN, "Please finish this step first.", "This field is required."),
    ],
)
def test_review_sends_back_to_an_unfinished_step(complainant, language, message, required) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant, language)
    wizard_to_review(client)
    post_step(client, 2, {**PROBLEM, "description": ""})  # now invalid, saved as typed
    response = client.get(step_url(5), follow=True)
    assert response.redirect_chain[-1][0] == step_url(2) + "?check=1"
    body = response.content.decode()
    assert message in body
    assert required in body
    assert PROBLEM["timeline"].splitlines()[0] in body


def test_coming_back_to_a_half_typed_step_shows_no_errors_yet(alice_client) -> None:  # type: ignore[no-untyped-def]
    alice_client.post(step_url(1), {"order_number": "123", "autosave": "1"})
    body = alice_client.get(step_url(1)).content.decode()
    assert 'value="123"' in body
    assert "该字段是必填项。" not in body


def test_platform_search_as_you_type(alice_client) -> None:  # type: ignore[no-untyped-def]
    for name in ["星辰卡盟", "星河卡盟", "月光发卡"]:
        Platform.objects.create(name=name)
    response = alice_client.get(reverse("portal:platform_search"), {"q": "卡盟"})
    names = sorted(r["name"] for r in response.json()["results"])
    assert names == sorted(["星辰卡盟", "星河卡盟"])
    assert alice_client.get(reverse("portal:platform_search"), {"q": ""}).json() == {"results": []}


def test_autosave_keeps_typing_without_validating_or_advancing(alice_client, complainant) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(step_url(1), {"order_number": "123", "autosave": "1"})
    assert response.status_code == 204
    draft = FilingDraft.objects.get(owner=complainant)
    assert (draft.step, draft.data["1"]["order_number"]) == (1, "123")
    assert 'value="123"' in alice_client.get(step_url(1)).content.decode()
