"""Golden files: every form of every tier, in each language, for one realistic case.

Read them as the platform, 12315, Black Cat's readers, a payment channel, the consumer
association and a court would. After an intended change of wording, rewrite them with
``UPDATE_GOLDEN=1 bin/test tests/escalation`` and read the diff.

The case: a network error on a 648-yuan order paid by Alipay (WeChat Pay, bank card and
platform balance for the other payment forms), the profile filled in, the payee on the
bill recorded, four pieces of evidence, the complaint to the platform recorded with its
ticket number and the platform's template answer, then each tier's deadline passed until
the case reached the tier whose forms are rendered. A second case, an invalid card key,
shows the 12315 form and the court complaint with 电子商务法 art. 51 and the damages.
"""

import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.actions import case_record_external_reference, case_record_response
from casework.sweep import sweep_overdue
from complaints.choices import DemandKind, OtherProceedings, PaymentMethod, ProblemType
from complaints.models import ComplaintCase, Platform, Profile
from complaints.tiers import LADDER, Tier
from escalation.documents import document_render, tier_documents
from evidence.services import bundle_create, evidence_add
from tests.evidence import samples
from tests.factories import OrderFactory, case_filed

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 21, 10, 30, tzinfo=SH)
PAID = datetime(2026, 5, 21, 10, 3, 2, tzinfo=SH)
PING = """正在 Ping shop.xingchen-km.cn [203.0.113.7] 具有 32 字节的数据:
来自 203.0.113.7 的回复: 字节=32 时间=31ms TTL=52
来自 203.0.113.7 的回复: 字节=32 时间=30ms TTL=52
"""
CHAT = "2026-05-21 10:12:40 我:付款成功但订单不见了\n2026-05-21 10:14:03 客服:已记录,将尽快处理\n"
REFERENCES = {
    PaymentMethod.ALIPAY: "2026052122001412345678901234",
    PaymentMethod.WECHAT_PAY: "4200002345202605213456789012",
    PaymentMethod.BANK_CARD: "",
    PaymentMethod.PLATFORM_BALANCE: "",
}
# Each form, the channel its case paid through, and the card-key case's forms.
FORMS = [
    (Tier.PLATFORM, "letter", PaymentMethod.ALIPAY),
    (Tier.WATCHDOG, "12315", PaymentMethod.ALIPAY),
    (Tier.WATCHDOG, "heimao", PaymentMethod.ALIPAY),
    (Tier.PAYMENT, "alipay", PaymentMethod.ALIPAY),
    (Tier.PAYMENT, "wechat-pay", PaymentMethod.WECHAT_PAY),
    (Tier.PAYMENT, "chargeback", PaymentMethod.BANK_CARD),
    (Tier.PAYMENT, "payment-other", PaymentMethod.PLATFORM_BALANCE),
    (Tier.LEGAL, "mediation", PaymentMethod.ALIPAY),
    (Tier.LEGAL, "small-claims", PaymentMethod.ALIPAY),
]
CARD_KEY_FORMS = [(Tier.WATCHDOG, "12315"), (Tier.LEGAL, "small-claims")]
# What the complainant records at each outside tier before its deadline passes.
FILED_AT_TIER = {
    Tier.WATCHDOG: "1231520260523000123",
    Tier.PAYMENT: "2026052600000789",
}


def _har() -> bytes:
    """A checkout whose submit first got 200 "网络错误", then 504; analytics failed too."""
    return samples.har(
        [
            samples.har_entry(url="https://shop.xingchen-km.cn/", status=200, method="GET"),
            samples.har_entry(
                url="https://shop.xingchen-km.cn/api/order/submit",
                status=200,
                started="2026-05-21T02:03:05.456Z",
                wait=120.0,
                body=json.dumps({"code": 1001, "msg": "网络错误,请稍后再试"}, ensure_ascii=False),
            ),
            samples.har_entry(
                url="https://shop.xingchen-km.cn/api/order/submit",
                status=504,
                started="2026-05-21T02:03:40.789Z",
                wait=60000.0,
            ),
            samples.har_entry(
                url="https://hm.baidu.com/hm.gif", status=504, method="GET", wait=5000.0
            ),
        ]
    )


def _climb_to(case: ComplaintCase, tier: str, triager: Any) -> datetime:
    """Let each tier's deadline pass until the case is at ``tier``; at 12315 and Alipay the
    complainant records the filing first. Returns a moment an hour after arrival."""
    at = NOW + timedelta(hours=1)
    while case.tier != tier:
        reference = FILED_AT_TIER.get(Tier(case.tier))
        if reference:
            case_record_external_reference(
                case=case, actor=case.complainant, reference=reference, now=at
            )
        stage = case.stages.get(closed_at__isnull=True)
        at = stage.next_due_at + timedelta(minutes=1)
        with time_machine.travel(at, tick=False):
            sweep_overdue(now=at)
        case.refresh_from_db()
        at += timedelta(hours=1)
    return at


def _realistic_case(
    complainant: Any,
    triager: Any,
    *,
    payment_method: str = PaymentMethod.ALIPAY,
    problem_type: str = ProblemType.NETWORK_ERROR,
) -> ComplaintCase:
    card_key = problem_type == ProblemType.INVALID_CARD_KEY
    with time_machine.travel(NOW, tick=False):
        Profile.objects.update_or_create(
            user=complainant,
            defaults={
                "name": "王小明",
                "phone": "13812345678",
                "address": "浙江省杭州市西湖区文三路 90 号 3 幢 501 室",
            },
        )
        platform = Platform.objects.create(name="星辰卡盟", website="https://www.xingchen-km.cn")
        order = OrderFactory(
            owner=complainant,
            platform=platform,
            merchant_on_bill="杭州星辰网络科技有限公司",
            order_number="20260521001",
            product_name="王者荣耀 点券 6480" if not card_key else "Steam 充值卡 200 元",
            amount=Decimal("648.00") if not card_key else Decimal("200.00"),
            paid_at=PAID,
            payment_method=payment_method,
            payment_reference=REFERENCES[payment_method],
        )
        bundle = bundle_create(owner=complainant, now=NOW)
        files = [
            ("付款凭证.png", samples.image_bytes("PNG"), "payment_voucher", PAID),
            ("客服聊天记录.txt", CHAT.encode(), "chat_log", None),
        ]
        if not card_key:
            files += [
                ("ping.txt", PING.encode(), "network_diagnostics", None),
                ("submit.har", _har(), "network_log", None),
            ]
        for name, content, kind, occurred_at in files:
            evidence_add(
                bundle=bundle,
                actor=complainant,
                file=SimpleUploadedFile(name, content, content_type=""),
                kind=kind,
                occurred_at=occurred_at,
                now=NOW,
            )
        description = (
            "提交订单时页面提示“网络错误”,但已扣款 648.00 元,订单列表查不到该订单。"
            if not card_key
            else "收到的卡密 ABCD-EFGH-2345-6789 在 Steam 兑换时提示“该卡已被使用”。"
        )
        case = case_filed(
            complainant=complainant,
            order=order,
            now=NOW,
            problem_type=problem_type,
            description=description,
            demand_kind=DemandKind.REFUND,
            demand_within_hours=24,
            other_proceedings=OtherProceedings.NO,
            bundle=bundle,
        )
    case_record_external_reference(
        case=case,
        actor=complainant,
        reference="KF20260521-0087",
        filed_at=NOW + timedelta(minutes=5),
        now=NOW + timedelta(minutes=10),
    )
    case_record_response(
        case=case,
        actor=triager,
        source="respondent",
        text="您好,已记录,将尽快处理。",
        now=NOW + timedelta(minutes=40),
    )
    return case


def _check(body: str, case: ComplaintCase, name: str) -> None:
    body = body.replace(case.reference, "KM-2026-000001")
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(body, encoding="utf-8")
    assert body == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("tier", "form", "payment_method"), FORMS)
def test_each_form_reads_as_its_golden_file(  # type: ignore[no-untyped-def]
    complainant, triager, tier, form, payment_method, language
) -> None:
    case = _realistic_case(complainant, triager, payment_method=payment_method)
    at = _climb_to(case, tier, triager)
    with time_machine.travel(at, tick=False):
        document = document_render(case=case, form=form, language=language)
        assert document.form == form and document.tier == tier
        assert form in [d.form for d in tier_documents(case=case, language=language)]
    _check(document.body, case, f"{tier}-{form}.{language}.txt")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("tier", "form"), CARD_KEY_FORMS)
def test_the_card_key_case_reads_as_its_golden_file(  # type: ignore[no-untyped-def]
    complainant, triager, tier, form, language
) -> None:
    case = _realistic_case(complainant, triager, problem_type=ProblemType.INVALID_CARD_KEY)
    at = _climb_to(case, tier, triager)
    with time_machine.travel(at, tick=False):
        body = document_render(case=case, form=form, language=language).body
    _check(body, case, f"card-key-{tier}-{form}.{language}.txt")


def test_every_form_has_its_golden_file() -> None:
    forms = {(tier, form) for tier, form, _method in FORMS}
    assert {tier for tier, _form in forms} == set(LADDER)
    expected = {f"{t}-{f}.{lang}.txt" for t, f in forms for lang in ("zh-hans", "en")} | {
        f"card-key-{t}-{f}.{lang}.txt" for t, f in CARD_KEY_FORMS for lang in ("zh-hans", "en")
    }
    assert {p.name for p in GOLDEN.glob("*.txt")} == expected
