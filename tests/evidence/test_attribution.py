"""Who a case's network evidence points at (DOMAIN.md, attribution, seed 000)."""

import io
import json
from types import SimpleNamespace

import pytest

from complaints.errors import InvalidInput
from complaints.services import other_proceedings_check, risk_signals_check
from evidence.attribution import case_attribution
from evidence.har import har_summarise
from evidence.netdiag import netdiag_parse
from tests.evidence import samples

SHOP = "https://shop.kamen.example.cn"


def _items(*entries: dict) -> list:
    return [
        SimpleNamespace(analysis={"har": har_summarise(io.BytesIO(samples.har(list(entries))))})
    ]


def test_a_504_from_an_analytics_host_does_not_blame_the_platform() -> None:
    items = _items(samples.har_entry(url="https://hm.baidu.com/hm.gif", status=504, method="GET"))
    result = case_attribution(items, platform_hosts=["www.kamen.example.cn"], risk_answers=[])
    assert result.verdict == "unknown" and result.requests == ()


def test_a_504_from_the_platforms_api_subdomain_blames_its_servers() -> None:
    items = _items(samples.har_entry(url="https://api.kamen.example.cn/order/submit", status=504))
    result = case_attribution(items, platform_hosts=["www.kamen.example.cn"], risk_answers=[])
    assert result.verdict == "server" and result.requests[0].status == 504


def test_a_200_that_says_network_error_is_a_disguised_refusal() -> None:
    body = json.dumps({"code": 1, "msg": "网络错误"})  # ASCII-escaped, as many APIs send it
    items = _items(samples.har_entry(url=f"{SHOP}/api/order/submit", status=200, body=body))
    assert items[0].analysis["har"]["failures"][0]["body_text"] == "网络错误"
    result = case_attribution(items, platform_hosts=[], risk_answers=[])
    assert result.verdict == "risk_control" and "网络错误" in result.requests[0].line


def test_an_error_only_after_a_coupon_points_at_risk_control() -> None:
    items = _items(samples.har_entry(url=f"{SHOP}/api/order/submit", status=502))
    result = case_attribution(items, platform_hosts=[], risk_answers=["coupon"])
    assert result.verdict == "risk_control" and result.risk_signals == ("coupon",)


def test_no_network_evidence_says_nothing() -> None:
    result = case_attribution([], platform_hosts=[], risk_answers=[])
    assert not result.has_evidence and result.sentence == ""


def test_chinese_windows_tracert_with_the_target_on_its_own_line() -> None:
    text = (
        "通过最多 30 个跃点跟踪\n到 shop.kamen.example.cn [203.0.113.7] 的路由:\n\n"
        "  1    <1 毫秒   <1 毫秒   <1 毫秒 192.168.1.1\n"
        "  2     *        *        *     请求超时。\n"
    )
    result = netdiag_parse(text)
    assert (result["host"], result["ip"], result["reached"]) == (
        "shop.kamen.example.cn",
        "203.0.113.7",
        False,
    )
    assert result["hops"][1]["lost"] == 3


def test_risk_signals_are_for_network_errors_only() -> None:
    assert risk_signals_check(problem_type="network_error", signals=["new_ip", "coupon"]) == [
        "coupon",
        "new_ip",
    ]
    with pytest.raises(InvalidInput):
        risk_signals_check(problem_type="invalid_card_key", signals=["coupon"])
    with pytest.raises(InvalidInput):
        risk_signals_check(problem_type="network_error", signals=["moon"])
    with pytest.raises(InvalidInput):
        other_proceedings_check(answer="maybe")
