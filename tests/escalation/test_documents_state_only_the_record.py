"""Each false statement the documents used to make can no longer be produced."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from casework import actions
from casework.sweep import case_escalate, sweep_overdue
from complaints.choices import DemandKind, PaymentMethod, ProblemType
from complaints.models import Profile
from complaints.tiers import Tier
from escalation.documents import document_render
from tests.factories import OrderFactory, case_filed

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)


def _case(complainant, **kw):  # type: ignore[no-untyped-def]
    order = OrderFactory(
        owner=complainant,
        order_number="20240521001",
        paid_at=T0 - timedelta(hours=1),
        amount=Decimal(kw.pop("amount", "328.00")),
        payment_method=PaymentMethod.ALIPAY,
    )
    return case_filed(complainant=complainant, order=order, now=T0, **kw)


def _zh(case, tier):  # type: ignore[no-untyped-def]
    case.refresh_from_db()
    return document_render(case=case, tier=tier, language="zh-hans").body


def test_no_evidence_is_not_listed_as_attached(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    for tier in (Tier.WATCHDOG, Tier.PAYMENT, Tier.LEGAL):
        body = _zh(case, tier)
        assert "见附件" not in body and "付款凭证、订单记录" not in body
        assert "尚未上传证据材料" in body
    en = document_render(case=case, tier=Tier.WATCHDOG, language="en").body
    assert "no evidence uploaded yet" in en and "attached:" not in en


def test_a_complaint_to_the_platform_is_stated_only_when_recorded(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    assert "本人已于" not in _zh(case, Tier.WATCHDOG)
    actions.case_record_external_reference(
        case=case, actor=complainant, reference="GD-7788", now=T0 + timedelta(hours=1)
    )
    body = _zh(case, Tier.WATCHDOG)
    assert "本人已于 2026年5月20日 10:00 向平台投诉(工单号 GD-7788)" in body
    assert "平台未在承诺时限内处理" not in body  # the deadline has not passed


def test_a_missed_deadline_is_stated_only_when_the_platform_missed_it(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    actions.case_record_external_reference(case=case, actor=complainant, reference="GD-1", now=T0)
    sweep_overdue(now=T0 + timedelta(hours=25))  # no answer in 24 h: watchdog
    body = _zh(case, Tier.WATCHDOG)
    assert "平台未在承诺时限内处理" in body and "平台逾期未处理" in body


def test_an_accepted_answer_is_never_called_a_missed_deadline(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    actions.case_record_external_reference(case=case, actor=complainant, reference="GD-2", now=T0)
    actions.case_record_response(
        case=case, actor=triager, source="respondent", text="3个工作日内原路退款", now=T0
    )
    actions.case_accept_response(case=case, actor=complainant, now=T0 + timedelta(hours=3))
    body = _zh(case, Tier.WATCHDOG)  # what the 12315 text would say now
    assert "平台未在承诺时限内处理" not in body and "逾期未处理" not in body


def test_other_proceedings_are_asked_not_asserted(complainant) -> None:  # type: ignore[no-untyped-def]
    body = _zh(_case(complainant), Tier.WATCHDOG)
    assert "本纠纷未向人民法院起诉、未申请仲裁" not in body
    assert "请如实说明本纠纷是否已向人民法院起诉" in body


def test_the_current_step_is_not_among_the_steps_taken(complainant, supervisor) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    case_escalate(case=case, actor=supervisor, reason="", now=T0 + timedelta(hours=1))
    case_escalate(case=case, actor=supervisor, reason="", now=T0 + timedelta(hours=2))
    body = _zh(case, Tier.PAYMENT)
    steps = body.split("已采取的处理:")[1].split("请求:")[0]
    assert "平台" in steps and "公共监督" in steps
    assert "支付渠道仲裁" not in steps  # the tier this document is for


def test_the_court_claims_are_unconditional_and_damages_are_claimed_once(complainant) -> None:  # type: ignore[no-untyped-def]
    plain = _case(complainant, problem_type=ProblemType.INVALID_CARD_KEY, demand_kind="refund")
    body = _zh(plain, Tier.LEGAL)
    assert "如被告明知" not in body
    assert "2. 判令被告支付赔偿金 984.00 元" in body  # three times 328 yuan
    assert "第五十一条" in body and "第一百八十八条" in body and "第一百九十五条" in body
    asked = _case(
        complainant,
        problem_type=ProblemType.INVALID_CARD_KEY,
        demand_kind=DemandKind.REFUND_COMPENSATION,
        demand_amount="984.00",
    )
    court = _zh(asked, Tier.LEGAL).split("二、民事起诉状")[1]
    assert court.count("984.00 元") == 1  # the demand itself, not a second damages claim
    assert "赔偿金" not in court


def test_the_complainant_is_named_from_the_profile_never_by_login(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant)
    body = _zh(case, Tier.WATCHDOG)
    assert complainant.username not in body and complainant.email not in body
    assert "投诉人:(请填写真实姓名" in body
    Profile.objects.update_or_create(
        user=complainant, defaults={"name": "张三", "phone": "13912345678"}
    )
    body = _zh(case, Tier.WATCHDOG)
    assert "投诉人:张三" in body and "联系电话:13912345678" in body
