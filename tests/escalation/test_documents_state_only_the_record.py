"""Each false statement the documents used to make can no longer be produced, in any form."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from casework import actions
from casework.sweep import case_escalate, sweep_overdue
from complaints.choices import DemandKind, OtherProceedings, PaymentMethod, ProblemType
from complaints.models import Profile
from complaints.tiers import LADDER, Tier
from escalation.documents import (
    DELIVERY_PROBLEMS,
    FORMS,
    PLACES,
    document_render,
    tier_documents,
    treble_damages,
)
from tests.factories import OrderFactory, case_filed

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)
ART_51 = {
    "zh-hans": re.compile("《中华人民共和国电子商务法》第五十一条"),
    "en": re.compile(
        r"art\. 51 of the E-Commerce Law of the PRC|E-Commerce Law of the PRC art\. 51"
    ),
}
PLACEHOLDERS = ("请填写", "fill in")


def _case(complainant, **kw):  # type: ignore[no-untyped-def]
    order = OrderFactory(
        owner=complainant,
        order_number="20240521001",
        paid_at=T0 - timedelta(hours=1),
        amount=Decimal(kw.pop("amount", "328.00")),
        payment_method=kw.pop("payment_method", PaymentMethod.ALIPAY),
        merchant_on_bill=kw.pop("merchant_on_bill", ""),
    )
    return case_filed(complainant=complainant, order=order, now=T0, **kw)


def _zh(case, tier, form=None):  # type: ignore[no-untyped-def]
    case.refresh_from_db()
    return document_render(case=case, tier=tier, language="zh-hans", form=form).body


def _all(case, language="zh-hans"):  # type: ignore[no-untyped-def]
    """Every form of every tier, as (form, body)."""
    case.refresh_from_db()
    return [
        (d.form, d.body)
        for tier in LADDER
        for d in tier_documents(case=case, tier=tier, language=language)
    ]


def _profile(user, **fields):  # type: ignore[no-untyped-def]
    defaults = {"name": "张三", "phone": "13912345678", "address": "北京市海淀区中关村大街 1 号"}
    Profile.objects.update_or_create(user=user, defaults={**defaults, **fields})


def test_no_evidence_is_not_listed_as_attached(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    for form, body in _all(case):
        assert "见附件" not in body and "付款凭证、订单记录" not in body
        if form not in {"letter", "heimao"}:  # the two without an evidence list
            assert "尚未上传证据材料" in body, form
    for form, body in _all(case, "en"):
        assert "attached:" not in body
        if form not in {"letter", "heimao"}:
            assert "no evidence uploaded yet" in body, form


def test_a_complaint_to_the_platform_is_stated_only_when_recorded(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    assert not any("本人已于" in body for _form, body in _all(case))
    actions.case_record_external_reference(
        case=case, actor=complainant, reference="GD-7788", now=T0 + timedelta(hours=1)
    )
    body = _zh(case, Tier.WATCHDOG)
    assert "本人已于 2026年5月20日 10:00 向平台投诉(工单号 GD-7788)" in body
    assert "本人已于 2026年5月20日 向平台投诉" in _zh(case, Tier.WATCHDOG, "heimao")
    for _form, body in _all(case):
        assert "平台未在承诺时限内处理" not in body  # the deadline has not passed
        assert "未在期限内解决" not in body


def test_an_answer_is_stated_only_as_recorded(complainant, triager, supervisor) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    assert not any("平台答复" in body for _form, body in _all(case))
    actions.case_record_response(
        case=case, actor=triager, source="respondent", text="已记录,将尽快处理", now=T0
    )
    case_escalate(case=case, actor=supervisor, reason="", now=T0 + timedelta(hours=1))
    for form, body in _all(case):
        if form not in {"letter", "heimao"}:
            assert "2026年5月20日 09:00 平台答复:「已记录,将尽快处理」" in body, form


def test_a_missed_deadline_is_stated_only_when_the_platform_missed_it(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    actions.case_record_external_reference(case=case, actor=complainant, reference="GD-1", now=T0)
    sweep_overdue(now=T0 + timedelta(hours=25))  # no answer in 24 h: watchdog
    for form in ("12315", "heimao"):
        assert "平台未在承诺时限内处理" in _zh(case, Tier.WATCHDOG, form), form


def test_an_accepted_answer_is_never_called_a_missed_deadline(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    actions.case_record_external_reference(case=case, actor=complainant, reference="GD-2", now=T0)
    actions.case_record_response(
        case=case, actor=triager, source="respondent", text="3个工作日内原路退款", now=T0
    )
    actions.case_accept_response(case=case, actor=complainant, now=T0 + timedelta(hours=3))
    for _form, body in _all(case):  # what every outside text would say now
        assert "平台未在承诺时限内处理" not in body and "逾期未答复" not in body
        assert "未在期限内解决" not in body and "逾期未解决" not in body
        assert "被告至今未履行" not in body


def test_other_proceedings_are_asked_not_asserted(complainant) -> None:  # type: ignore[no-untyped-def]
    _profile(complainant)
    case = _case(complainant)
    for form in ("12315", "mediation"):
        body = _zh(case, None, form)
        assert "本纠纷未向人民法院起诉、未申请仲裁" not in body
        first = body.splitlines()[0]
        assert first == (
            "本文书尚缺以下信息,请在门户中补充后再提交:"
            "本纠纷是否已向法院、仲裁机构、其他行政机关或消费者协会提出。"
        )
        assert "请如实说明" not in body and "请填写" not in body
    # The court complaint does not state it, so it does not ask for it either.
    assert not _zh(case, None, "small-claims").startswith("本文书尚缺")


def test_the_current_step_is_not_among_the_steps_taken(complainant, supervisor) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    case_escalate(case=case, actor=supervisor, reason="", now=T0 + timedelta(hours=1))
    case_escalate(case=case, actor=supervisor, reason="", now=T0 + timedelta(hours=2))
    body = _zh(case, Tier.PAYMENT)
    steps = body.split("已采取的处理:")[1].split("诉求:")[0]
    assert "平台" in steps and "公共监督" in steps
    assert "支付渠道仲裁" not in steps  # the tier this document is for


@pytest.mark.parametrize("tier", LADDER)
def test_no_form_names_its_own_tier_as_a_step_taken(complainant, supervisor, tier) -> None:  # type: ignore[no-untyped-def]
    """A filing is recorded at every tier, the current one too: the current one is never
    listed among the steps taken or the demands that interrupted the limitation period."""
    case = _case(complainant)
    at = T0
    while True:
        at += timedelta(hours=1)
        actions.case_record_external_reference(
            case=case, actor=complainant, reference=f"REF-{case.tier}", now=at
        )
        if case.tier == tier:
            break
        case_escalate(case=case, actor=supervisor, reason="", now=at)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            label, place = re.escape(str(Tier(tier).label)), re.escape(str(PLACES[tier]))
        step = {"zh-hans": rf"^- \S+ 起:{label}", "en": rf"^- from \S+: {label}"}[language]
        demand = {"zh-hans": rf"向{place}提出请求", "en": rf"on \S+ to {place}"}[language]
        for document in tier_documents(case=case, language=language):
            assert not re.search(step, document.body, re.M), (document.form, language)
            assert not re.search(demand, document.body), (document.form, language)
            assert f"REF-{tier}" not in document.body, (document.form, language)
        if tier == Tier.LEGAL:  # the tiers before it are all there
            court = document_render(case=case, form="small-claims", language=language).body
            assert all(f"REF-{t}" in court for t in LADDER[:-1])


def test_the_court_claims_are_unconditional_and_damages_are_claimed_once(complainant) -> None:  # type: ignore[no-untyped-def]
    plain = _case(complainant, problem_type=ProblemType.INVALID_CARD_KEY, demand_kind="refund")
    body = _zh(plain, Tier.LEGAL, "small-claims")
    assert "如被告明知" not in body
    assert "2. 判令被告支付赔偿金 984.00 元" in body  # three times 328 yuan
    assert "第五十一条" in body and "第一百八十八条" in body and "第一百九十五条" in body
    asked = _case(
        complainant,
        problem_type=ProblemType.INVALID_CARD_KEY,
        demand_kind=DemandKind.REFUND_COMPENSATION,
        demand_amount="984.00",
    )
    court = _zh(asked, Tier.LEGAL, "small-claims")
    assert court.count("984.00 元") == 1  # the demand itself, not a second damages claim
    assert "赔偿金" not in court


@pytest.mark.parametrize("problem_type", ProblemType.values)
@pytest.mark.parametrize("demand_kind", DemandKind.values)
def test_no_claim_is_conditional_and_damages_appear_only_with_their_amount(  # type: ignore[no-untyped-def]
    complainant, problem_type, demand_kind
) -> None:
    case = _case(
        complainant,
        problem_type=problem_type,
        demand_kind=demand_kind,
        demand_amount="120.00" if demand_kind == DemandKind.REFUND_COMPENSATION else None,
        demand_text="请说明原因" if demand_kind == DemandKind.OTHER else "",
    )
    damages = treble_damages(case)
    for language, word in (("zh-hans", "赔偿金"), ("en", "damages of")):
        court = document_render(case=case, form="small-claims", language=language).body
        claims = court.split("诉讼请求:" if language == "zh-hans" else "Claims:")[1]
        claims = claims.split("事实与理由" if language == "zh-hans" else "Facts and reasons")[0]
        for line in claims.strip().splitlines():
            assert not any(w in line for w in ("如果", "如被告", "若", " if ", "unless")), line
        assert claims.count(word) == (1 if damages else 0)
        if damages:
            assert f"{damages}" in claims and court.count(f"{damages}") == 1


def test_the_complainant_is_named_from_the_profile_never_by_login(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    for _form, body in _all(case):
        assert complainant.username not in body and complainant.email not in body
        assert "请填写" not in body
    body = _zh(case, Tier.WATCHDOG)
    assert body.splitlines()[0] == (
        "本文书尚缺以下信息,请在门户中补充后再提交:真实姓名、联系电话、通讯地址、"
        "本纠纷是否已向法院、仲裁机构、其他行政机关或消费者协会提出。"
    )
    assert "\n姓名:\n" in body  # blank, as the first line says, never a login name
    _profile(complainant, address="")
    body = _zh(case, Tier.WATCHDOG)
    assert "姓名:张三" in body and "电话:13912345678" in body
    assert body.splitlines()[0].endswith(
        "通讯地址、本纠纷是否已向法院、仲裁机构、其他行政机关或消费者协会提出。"
    )
    assert "真实姓名" not in body.splitlines()[0]


def test_no_placeholder_for_a_known_fact_and_no_missing_line_when_all_is_known(  # type: ignore[no-untyped-def]
    complainant,
) -> None:
    _profile(complainant)
    for method in PaymentMethod.values:
        case = _case(
            complainant,
            payment_method=method,
            merchant_on_bill="深圳某某科技有限公司",
            other_proceedings=OtherProceedings.NO,
        )
        for language in ("zh-hans", "en"):
            for form, body in _all(case, language):
                assert not any(p in body for p in PLACEHOLDERS), (form, language)
                assert not body.startswith(("本文书尚缺", "This document still lacks")), form
        court = _zh(case, Tier.LEGAL, "small-claims")
        assert "原告:张三,联系电话:13912345678,住所:北京市海淀区中关村大街 1 号" in court
        mediation = _zh(case, Tier.LEGAL, "mediation")
        assert "通讯地址:北京市海淀区中关村大街 1 号" in mediation


PAYEE_LINES = {
    "alipay": ("收款方:", "Payee: "),
    "wechat-pay": ("商户名称(账单所示):", "Merchant (as on the bill): "),
    "chargeback": ("商户名称(以账单所示为准):", "Merchant name (as on the statement): "),
    "payment-other": ("收款方:", "Payee: "),
}


@pytest.mark.parametrize("method", PaymentMethod.values)
def test_the_merchant_on_the_bill_is_named_never_the_brand(complainant, method) -> None:  # type: ignore[no-untyped-def]
    for on_bill in ("深圳某某科技有限公司", ""):
        case = _case(complainant, payment_method=method, merchant_on_bill=on_bill)
        brand = case.order.platform.name
        for language, at in (("zh-hans", 0), ("en", 1)):
            (document,) = tier_documents(case=case, tier=Tier.PAYMENT, language=language)
            assert FORMS[document.form].tier == Tier.PAYMENT
            prefix = PAYEE_LINES[document.form][at]
            (line,) = [li for li in document.body.splitlines() if li.startswith(prefix)]
            assert brand not in line
            if on_bill:
                assert line == prefix + on_bill
            else:  # copy it from the bill; never an invented name
                assert "本文不代填" in line or "does not guess it" in line


def test_each_channel_gets_its_own_dispute_text(complainant) -> None:  # type: ignore[no-untyped-def]
    expected = {
        PaymentMethod.ALIPAY: ("alipay", "支付宝交易投诉"),
        PaymentMethod.WECHAT_PAY: ("wechat-pay", "微信支付交易投诉"),
        PaymentMethod.BANK_CARD: ("chargeback", "争议交易(拒付)申请"),
        PaymentMethod.PLATFORM_BALANCE: ("payment-other", "支付渠道投诉说明"),
        PaymentMethod.OTHER: ("payment-other", "支付渠道投诉说明"),
    }
    for method, (form, heading) in expected.items():
        case = _case(complainant, payment_method=method)
        (document,) = tier_documents(case=case, tier=Tier.PAYMENT)
        assert document.form == form and document.body.startswith(heading)
        if form == "payment-other":
            assert "无法确定可以受理交易投诉的支付渠道" in document.body


@pytest.mark.parametrize("problem_type", ProblemType.values)
def test_e_commerce_law_art_51_is_cited_exactly_for_delivery_cases(
    complainant, problem_type
) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant, problem_type=problem_type)
    delivery = problem_type in DELIVERY_PROBLEMS
    for language in ("zh-hans", "en"):
        for form, body in _all(case, language):
            assert bool(ART_51[language].search(body)) is delivery, (form, language)
            if not delivery:
                assert "第五十一条" not in body and "art. 51" not in body
