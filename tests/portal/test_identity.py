"""Who the complainant is and what the documents ahead still need: the profile, the
case page's questions, and the wizard's payee and supplier."""

import re

import pytest
from django.urls import reverse

from casework import actions
from complaints.choices import EventKind
from complaints.models import ComplaintCase, Order, Profile
from complaints.tiers import Tier
from evidence.integrity import case_verify
from portal.models import FilingDraft
from tests.factories import case_filed
from tests.portal.conftest import EN, ZH, client_for
from tests.portal.helpers import DEMAND, ORDER, PROBLEM, post_step, step_url, wizard_to_review

pytestmark = pytest.mark.django_db


def _page(client, case) -> str:  # type: ignore[no-untyped-def]
    return client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()


def _needs_block(body: str) -> str:
    found = re.search(r"<section class=\"needs\".*?</section>", body, re.S)
    return found.group(0) if found else ""


def _complete_profile(user) -> None:  # type: ignore[no-untyped-def]
    Profile.objects.update_or_create(
        user=user,
        defaults={"name": "王小明", "phone": "13812345678", "address": "深圳市南山区某路 1 号"},
    )


# --- the profile -------------------------------------------------------------------------


def test_the_profile_asks_for_the_address_and_says_why(complainant) -> None:  # type: ignore[no-untyped-def]
    body = client_for(complainant, EN).get(reverse("portal:profile")).content.decode()
    assert 'name="address"' in body
    assert "市场监督管理投诉举报处理暂行办法 art. 9" in body
    assert "民事诉讼法 art. 124" in body
    assert "shown only to the recipients of those documents" in body
    assert "family name first" in body
    zh = client_for(complainant, ZH).get(reverse("portal:profile")).content.decode()
    assert "通讯地址" in zh and "姓在前" in zh


def test_the_profile_saves_the_address(alice_client, complainant) -> None:  # type: ignore[no-untyped-def]
    response = alice_client.post(
        reverse("portal:profile"),
        {
            "name": "王小明",
            "phone": "138 1234 5678",
            "address": "  广东省深圳市南山区  某某路 1 号 ",
            "preferred_language": "zh-hans",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=complainant)
    assert profile.address == "广东省深圳市南山区 某某路 1 号"
    assert profile.phone == "138 1234 5678"


def test_a_bad_phone_on_the_profile_changes_nothing(complainant) -> None:  # type: ignore[no-untyped-def]
    _complete_profile(complainant)
    response = client_for(complainant, EN).post(
        reverse("portal:profile"),
        {"name": "别人", "phone": "call me", "address": "x", "preferred_language": "en"},
    )
    assert response.status_code == 400
    assert "Enter a phone number, digits only." in response.content.decode()
    profile = Profile.objects.get(user=complainant)
    assert (profile.name, profile.phone) == ("王小明", "13812345678")


# --- the case page's questions -----------------------------------------------------------


def test_a_case_one_step_below_12315_is_asked_what_12315_needs(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    assert case.tier == Tier.PLATFORM
    block = _needs_block(_page(client_for(complainant, EN), case))
    for field in ("name", "phone", "address", "other_proceedings"):
        assert f'data-need="{field}"' in block
    assert "12315 accepts a complaint only with your name, phone and postal address." in block
    assert "Public watchdog (12315 / Black Cat)" in block
    zh = _needs_block(_page(client_for(complainant, ZH), case))
    assert "12315" in zh and 'data-need="address"' in zh


def test_only_what_is_missing_is_asked_and_nothing_once_all_is_known(complainant) -> None:  # type: ignore[no-untyped-def]
    Profile.objects.create(user=complainant, name="王小明", phone="13812345678")
    case = case_filed(complainant=complainant)
    block = _needs_block(_page(client_for(complainant, EN), case))
    assert 'data-need="address"' in block and 'data-need="other_proceedings"' in block
    assert 'data-need="name"' not in block and 'data-need="phone"' not in block

    _complete_profile(complainant)
    answered = case_filed(complainant=complainant, other_proceedings="no")
    assert _needs_block(_page(client_for(complainant, EN), answered)) == ""


def test_a_case_one_step_below_legal_is_asked_for_the_court(complainant, supervisor) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    for _ in range(2):
        actions.case_escalate_by_staff(case=case, actor=supervisor, reason="测试升级")
    case.refresh_from_db()
    assert case.tier == Tier.PAYMENT
    block = _needs_block(_page(client_for(complainant, EN), case))
    assert "A court complaint names the plaintiff" in block
    assert "Legal (mediation / small claims)" in block


def test_answering_fills_the_profile_and_amends_the_case_in_the_timeline(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    client = client_for(complainant, EN)
    response = client.post(
        reverse("portal:case_details", args=[case.reference]),
        {
            "name": "王小明",
            "phone": "13812345678",
            "address": "广东省深圳市南山区某某路 1 号",
            "other_proceedings": "no",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=complainant)
    assert (profile.name, profile.phone, profile.address) == (
        "王小明",
        "13812345678",
        "广东省深圳市南山区某某路 1 号",
    )
    case.refresh_from_db()
    assert case.other_proceedings == "no"
    amended = case.events.get(kind=EventKind.AMENDED)
    assert amended.actor == complainant
    assert (amended.payload["field"], amended.payload["before"], amended.payload["after"]) == (
        "other_proceedings",
        "",
        "no",
    )
    body = _page(client, case)
    assert _needs_block(body) == ""
    # The timeline says it in words: who, what it said before and what it says now.
    assert "You corrected “before a court, arbitrator, agency or consumer association”" in body
    assert "it now says “No”" in body
    assert case_verify(case) == []  # an amendment, not a change behind the record's back


def test_a_bad_answer_is_refused_on_its_field_and_nothing_is_saved(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = client_for(complainant, EN).post(
        reverse("portal:case_details", args=[case.reference]),
        {"name": "王小明", "phone": "not a phone", "address": "某地", "other_proceedings": "no"},
    )
    assert response.status_code == 400
    block = _needs_block(response.content.decode())
    phone_field = re.search(r'data-need="phone".*?</div>', block, re.S)
    assert phone_field and "Enter a phone number, digits only." in phone_field.group(0)
    assert 'value="王小明"' in block  # what was typed is kept
    assert not Profile.objects.filter(user=complainant).exists()
    case.refresh_from_db()
    assert case.other_proceedings == ""
    assert not case.events.filter(kind=EventKind.AMENDED).exists()


def test_an_empty_answer_is_refused_in_chinese(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = client_for(complainant, ZH).post(
        reverse("portal:case_details", args=[case.reference]), {}
    )
    assert response.status_code == 400
    assert "请至少回答一个问题。" in response.content.decode()


def test_nobody_else_answers_for_the_complainant(complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    response = client_for(outsider, EN).post(
        reverse("portal:case_details", args=[case.reference]), {"name": "冒名"}
    )
    assert response.status_code == 404
    assert not Profile.objects.filter(user=complainant).exists()


# --- the wizard: who was paid ------------------------------------------------------------


def test_step1_asks_who_the_bill_says_was_paid_and_the_supplier(complainant) -> None:  # type: ignore[no-untyped-def]
    body = client_for(complainant, EN).get(step_url(1)).content.decode()
    assert 'name="merchant_on_bill"' in body and 'name="supplier_name"' in body
    assert "收款方/商户名称" in body and "Alipay/WeChat/bank bill" in body
    assert body.index('name="payment_reference"') < body.index('name="merchant_on_bill"')


def test_the_payee_and_supplier_are_kept_in_the_draft_and_filed_on_the_order(complainant) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant)
    order = {**ORDER, "merchant_on_bill": "深圳市某某网络科技有限公司", "supplier_name": "某供货商"}
    post_step(client, 1, order)
    draft = FilingDraft.objects.get(owner=complainant)
    assert draft.data["1"]["merchant_on_bill"] == "深圳市某某网络科技有限公司"
    assert 'value="某供货商"' in client.get(step_url(1)).content.decode()
    assert post_step(client, 2, PROBLEM).status_code == 302
    assert client.post(step_url(3), {"next": "1"}).status_code == 302
    assert post_step(client, 4, DEMAND).status_code == 302
    assert client.post(step_url(5), {"submit": "1"}).status_code == 302
    case = ComplaintCase.objects.get(complainant=complainant)
    assert case.order.merchant_on_bill == "深圳市某某网络科技有限公司"
    assert case.order.supplier_name == "某供货商"
    assert case_verify(case) == []


def test_the_payee_is_optional(complainant) -> None:  # type: ignore[no-untyped-def]
    client = client_for(complainant)
    wizard_to_review(client)
    assert client.post(step_url(5), {"submit": "1"}).status_code == 302
    assert Order.objects.get(owner=complainant).merchant_on_bill == ""
