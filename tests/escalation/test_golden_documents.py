"""Golden files: the full document of each tier, in each language, for one realistic case.

Read them as the platform, a regulator, a payment channel and a court would. After an
intended change of wording, rewrite them with ``UPDATE_GOLDEN=1 bin/test tests/escalation``
and read the diff.
"""

import json
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.actions import case_record_external_reference
from complaints.choices import DemandKind, OtherProceedings, PaymentMethod, ProblemType
from complaints.models import Platform, Profile
from escalation.documents import document_render
from evidence.services import bundle_create, evidence_add
from tests.evidence import samples
from tests.factories import OrderFactory, case_filed

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 5, 21, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TIERS = ("platform", "watchdog", "payment", "legal")
PING = """正在 Ping shop.xingchen-km.cn [203.0.113.7] 具有 32 字节的数据:
来自 203.0.113.7 的回复: 字节=32 时间=31ms TTL=52
来自 203.0.113.7 的回复: 字节=32 时间=30ms TTL=52
"""


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


@pytest.fixture
def realistic_case(complainant):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        Profile.objects.update_or_create(
            user=complainant, defaults={"name": "王小明", "phone": "13812345678"}
        )
        platform = Platform.objects.create(name="星辰卡盟", website="https://www.xingchen-km.cn")
        order = OrderFactory(
            owner=complainant,
            platform=platform,
            order_number="20260521001",
            product_name="王者荣耀 点券 6480",
            amount=Decimal("648.00"),
            paid_at=datetime(2026, 5, 21, 10, 3, 2, tzinfo=ZoneInfo("Asia/Shanghai")),
            payment_method=PaymentMethod.ALIPAY,
            payment_reference="2026052122001412345678901234",
        )
        bundle = bundle_create(owner=complainant, now=NOW)
        for name, content, kind in (
            ("ping.txt", PING.encode(), "network_diagnostics"),
            ("submit.har", _har(), "network_log"),
        ):
            evidence_add(
                bundle=bundle,
                actor=complainant,
                file=SimpleUploadedFile(name, content, content_type=""),
                kind=kind,
                now=NOW,
            )
        case = case_filed(
            complainant=complainant,
            order=order,
            now=NOW,
            problem_type=ProblemType.NETWORK_ERROR,
            description=(
                "提交订单时页面提示“网络错误”,支付宝已扣款 648.00 元,订单列表查不到该订单。"
            ),
            demand_kind=DemandKind.REFUND,
            demand_within_hours=24,
            other_proceedings=OtherProceedings.NO,
            bundle=bundle,
        )
        case_record_external_reference(case=case, actor=complainant, reference="KF20260521-0087")
        yield case


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("tier", TIERS)
def test_the_document_reads_as_its_golden_file(realistic_case, tier, language) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        body = document_render(case=realistic_case, tier=tier, language=language).body
    body = body.replace(realistic_case.reference, "KM-2026-000001")
    path = GOLDEN / f"{tier}.{language}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(body, encoding="utf-8")
    assert body == path.read_text(encoding="utf-8")
