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
