from datetime import datetime
from zoneinfo import ZoneInfo

from escalation.documents import document_render
from tests.factories import OrderFactory, case_filed

NOW = datetime(2026, 5, 21, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_platform_letter_has_the_three_elements_in_chinese(complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant, order_number="20240521001", paid_at=NOW)
    case = case_filed(complainant=complainant, order=order, now=NOW, demand_within_hours=24)
    doc = document_render(case=case, language="zh-hans")
    assert doc.body.startswith("投诉-20240521001-掉单:已付款但订单未同步")
    assert "订单号 20240521001" in doc.body and "30.00 元" in doc.body  # subject
    assert case.description in doc.body  # facts
    assert "请于 24 小时内全额原路退款" in doc.body  # a specific, time-bound demand


def test_platform_letter_in_english(complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant, order_number="20240521001", paid_at=NOW)
    case = case_filed(complainant=complainant, order=order, now=NOW)
    doc = document_render(case=case, language="en")
    assert "order 20240521001" in doc.body
    assert "Full refund to the original payment account within 24 hours" in doc.body


# --- all four tiers, for a lost-order case and a network-error case, in both languages ----

from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402

from complaints.choices import DemandKind, PaymentMethod, ProblemType  # noqa: E402
from complaints.models import Profile  # noqa: E402
from complaints.redaction import Recipient, redact  # noqa: E402
from complaints.tiers import Tier  # noqa: E402
from escalation.documents import tier_documents  # noqa: E402

LOST = dict(
    problem_type=ProblemType.LOST_ORDER_UNSYNCED,
    description="支付宝已扣款,订单列表查不到。客服电话 13812345678 回复:已记录,将尽快处理。",
)
NETWORK = dict(
    problem_type=ProblemType.NETWORK_ERROR,
    description=(
        "提交订单时反复弹出“网络错误”,开发者工具显示 HTTP 502,银行卡 6222021234567890123 "
        "已扣款。补发的卡密: ABCD-EFGH-1234-5678,身份证 11010119900307851X。"
    ),
)


def _case(complainant, scenario):  # type: ignore[no-untyped-def]
    order = OrderFactory(
        owner=complainant,
        order_number="20240521001",
        paid_at=NOW,
        amount=Decimal("680.00"),
        payment_method=PaymentMethod.ALIPAY,
        payment_reference="2024052122001412345678901234",
    )
    return case_filed(
        complainant=complainant, order=order, now=NOW, demand_kind=DemandKind.REFUND, **scenario
    )


@pytest.mark.parametrize("scenario", [LOST, NETWORK], ids=["lost-order", "network-error"])
def test_watchdog_filing_has_the_12315_fields_and_a_masked_public_text(
    complainant, scenario
) -> None:
    case = _case(complainant, scenario)
    filing, public = (
        d.body for d in tier_documents(case=case, tier=Tier.WATCHDOG, language="zh-hans")
    )
    assert filing.startswith("本文书尚缺以下信息")  # no profile yet: said, not filled in
    assert "订单号:20240521001" in filing and "金额:680.00 元" in filing
    assert case.get_problem_type_display() in filing and "全额原路退款" in filing
    # 12315 is not public, but a card key is a bearer secret: last 4 only (REGULATOR).
    assert redact(scenario["description"], recipient=Recipient.REGULATOR) in filing
    assert "13812345678" not in filing
    assert "20240521001" in public and "涉诉金额:680.00 元" in public
    for secret in (
        "13812345678",
        "6222021234567890123",
        "ABCD-EFGH-1234-5678",
        "11010119900307851X",
    ):
        assert secret not in public
    if scenario is NETWORK:
        assert "HTTP 502" in public and "银行卡 **** 已扣款" in public and "卡密: ****," in public
        assert "卡密: ****5678" in filing  # the regulator sees the last 4
    else:
        assert "电话 **** 回复" in public and "138****5678" in filing
    english = [d.body for d in tier_documents(case=case, tier=Tier.WATCHDOG, language="en")]
    assert "Order number: 20240521001" in english[0] and "Black Cat public text" in english[1]
    assert "13812345678" not in english[1]


@pytest.mark.parametrize("scenario", [LOST, NETWORK], ids=["lost-order", "network-error"])
def test_payment_dispute_statement(complainant, scenario) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant, scenario)
    zh = document_render(case=case, tier=Tier.PAYMENT, language="zh-hans").body
    assert zh.startswith("支付宝交易投诉")
    assert "交易号:2024052122001412345678901234" in zh
    assert "金额:680.00 元" in zh and "付款时间:2026年5月21日 10:30" in zh
    # The payee is the one on the bill, never the platform's brand; not recorded: copy it.
    assert f"收款方:{case.order.platform.name}" not in zh
    assert "收款方:(请照抄支付宝账单详情中的「收款方」全称" in zh
    assert "证据清单" in zh and case.get_problem_type_display() in zh
    en = document_render(case=case, tier=Tier.PAYMENT, language="en").body
    assert en.startswith("Alipay transaction complaint") and "Amount: 680.00 yuan" in en
    assert "Paid at: 2026-05-21 10:30" in en and "Evidence:" in en


@pytest.mark.parametrize("scenario", [LOST, NETWORK], ids=["lost-order", "network-error"])
def test_legal_mediation_and_small_claims_drafts(complainant, scenario) -> None:  # type: ignore[no-untyped-def]
    case = _case(complainant, scenario)
    Profile.objects.update_or_create(user=complainant, defaults={"name": "李四"})
    mediation, court = (
        d.body for d in tier_documents(case=case, tier=Tier.LEGAL, language="zh-hans")
    )
    assert "消费纠纷调解申请书" in mediation and "民事起诉状(小额诉讼" in court
    zh = court
    assert "原告:李四" in zh and f"被告:{case.order.platform.name}" in zh
    assert "判令被告退还货款 680.00 元" in zh and "本案诉讼费用由被告承担" in zh
    assert "《中华人民共和国电子商务法》第四十九条" in zh and "第五百七十七条" in zh
    assert "建议起诉" in zh  # 680 yuan is above the 500 yuan the articles suggest
    assert "赔偿金" not in zh and "第五十五条" not in zh  # damages only for invalid card keys
    en = "".join(d.body for d in tier_documents(case=case, tier=Tier.LEGAL, language="en"))
    assert "Application for consumer-dispute mediation" in en and "Civil complaint" in en
    assert "E-Commerce Law of the PRC art. 49" in en
    assert "Civil Procedure Law of the PRC art. 165" in en


def test_invalid_card_key_claims_fraud_damages(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _case(
        complainant, dict(problem_type=ProblemType.INVALID_CARD_KEY, description="卡密已被使用")
    )
    zh = document_render(case=case, form="small-claims", language="zh-hans").body
    assert "判令被告支付赔偿金 2040.00 元" in zh  # three times 680 yuan
    assert "第五十一条" in zh and "第五十五条" in zh


def test_masking_keeps_the_order_number_and_ordinary_numbers() -> None:
    text = "订单 2024052100112345678 手机 +86 139-0000-1234 金额 30.00 元 于 2026-05-21 10:30"
    masked = redact(text, recipient=Recipient.PLATFORM, keep=["2024052100112345678"])
    assert "2024052100112345678" in masked and "139****1234" in masked
    assert "30.00 元" in masked and "2026-05-21 10:30" in masked


def test_a_case_being_previewed_before_filing_renders(complainant) -> None:  # type: ignore[no-untyped-def]
    from complaints.models import ComplaintCase

    order = OrderFactory(owner=complainant, order_number="20240521001", paid_at=NOW)
    draft = ComplaintCase(
        complainant=complainant,
        order=order,
        problem_type=ProblemType.NETWORK_ERROR,
        description="网络错误",
        demand_kind=DemandKind.REFUND,
        harm_noticed_at=NOW,
    )
    for tier in Tier:
        for document in tier_documents(case=draft, tier=tier, language="zh-hans"):
            assert "20240521001" in document.body
