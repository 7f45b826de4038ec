"""What staff read in the admin about evidence and the complainant: the network verdict in
words with the requests it rests on (never the stored analysis), the payee on the bill,
the postal address."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from casework import actions
from complaints.models import Profile
from evidence.models import EvidenceItem
from tests.evidence import samples
from tests.factories import OrderFactory, PlatformFactory, case_filed

pytestmark = pytest.mark.django_db

PING_ZH = (
    "正在 Ping shop.kamen.example.cn [203.0.113.7] 具有 32 字节的数据:\n"
    "来自 203.0.113.7 的回复: 字节=32 时间=31ms TTL=52\n"
    "请求超时。\n"
    "来自 203.0.113.7 的回复: 字节=32 时间=45ms TTL=52\n"
    "请求超时。\n"
)
# Codes and keys of the stored analysis that must never reach staff as such.
RAW = ('"failures"', "'failures'", "server_error", "'reason'", "time_ms", "{'", '{"')


@pytest.fixture
def admin_client(supervisor) -> Client:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "en"})
    client.force_login(supervisor)
    return client


@pytest.fixture
def case_with_network_evidence(complainant):  # type: ignore[no-untyped-def]
    platform = PlatformFactory(website="https://www.kamen.example.cn")
    order = OrderFactory(
        owner=complainant, platform=platform, merchant_on_bill="深圳市某某网络科技有限公司"
    )
    case = case_filed(complainant=complainant, order=order)
    actions.case_evidence_add(
        case=case,
        actor=complainant,
        files=[SimpleUploadedFile("submit.har", samples.har_failed_submit())],
        kind="network_log",
    )
    actions.case_evidence_add(
        case=case,
        actor=complainant,
        files=[SimpleUploadedFile("ping.txt", PING_ZH.encode(), content_type="text/plain")],
        kind="network_diagnostics",
    )
    return case


def _item(case, name: str) -> EvidenceItem:  # type: ignore[no-untyped-def]
    return EvidenceItem.objects.get(bundle__case=case, original_name=name)


def test_the_har_verdict_is_in_words_with_its_requests(
    admin_client, case_with_network_evidence
) -> None:  # type: ignore[no-untyped-def]
    item = _item(case_with_network_evidence, "submit.har")
    assert item.analysis["har"]["attribution"] == "server"  # stored as a code...
    url = reverse("admin:evidence_evidenceitem_change", args=[item.pk])
    body = admin_client.get(url).content.decode()
    # ...shown in the words the portal and the documents use (evidence.attribution).
    assert "The platform&#x27;s own servers failed: 2 requests to its site" in body
    assert "The requests it rests on:" in body
    # One line per request: when (to the millisecond), method, host and path, status, time.
    assert "2026-05-21 10:03:05.456 POST shop.kamen.example.cn/api/order/submit" in body
    assert "HTTP 502" in body and "HTTP 504" in body and "ms" in body
    assert "4 requests in the log, 2 failed." in body
    for raw in RAW:
        assert raw not in body, raw


def test_ping_figures_are_in_words(admin_client, case_with_network_evidence) -> None:  # type: ignore[no-untyped-def]
    item = _item(case_with_network_evidence, "ping.txt")
    body = admin_client.get(
        reverse("admin:evidence_evidenceitem_change", args=[item.pk])
    ).content.decode()
    assert "Ping to shop.kamen.example.cn (203.0.113.7): 4 sent, 2 answered (50.0% lost)" in body
    assert "loss_percent" not in body and "netdiag" not in body


def test_the_words_are_chinese_for_a_chinese_admin(supervisor, case_with_network_evidence) -> None:  # type: ignore[no-untyped-def]
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(supervisor)
    item = _item(case_with_network_evidence, "submit.har")
    body = client.get(reverse("admin:evidence_evidenceitem_change", args=[item.pk])).content
    assert "依据的请求：" in body.decode()
    assert "日志中共有 4 个请求，其中 2 个失败。" in body.decode()


def test_the_case_page_shows_the_verdict_and_who_was_paid(
    admin_client, case_with_network_evidence
) -> None:  # type: ignore[no-untyped-def]
    case = case_with_network_evidence
    body = admin_client.get(
        reverse("admin:complaints_complaintcase_change", args=[case.pk])
    ).content.decode()
    assert "network problem attribution" in body.lower()
    assert "The platform&#x27;s own servers failed" in body
    assert "POST shop.kamen.example.cn/api/order/submit" in body
    assert "深圳市某某网络科技有限公司" in body
    for raw in RAW:
        assert raw not in body.split("network problem attribution", 1)[-1][:4000], raw


def test_the_payee_is_a_column_and_a_search_of_the_orders(admin_client, complainant) -> None:  # type: ignore[no-untyped-def]
    OrderFactory(owner=complainant, merchant_on_bill="深圳市某某网络科技有限公司")
    OrderFactory(owner=complainant, merchant_on_bill="别的公司")
    body = admin_client.get(
        reverse("admin:complaints_order_changelist") + "?q=某某网络"
    ).content.decode()
    assert "深圳市某某网络科技有限公司" in body and "别的公司" not in body


def test_the_profile_shows_the_postal_address(admin_client, complainant) -> None:  # type: ignore[no-untyped-def]
    profile = Profile.objects.create(
        user=complainant, name="王小明", address="广东省深圳市南山区某某路 1 号"
    )
    body = admin_client.get(
        reverse("admin:complaints_profile_change", args=[profile.pk])
    ).content.decode()
    assert "广东省深圳市南山区某某路 1 号" in body
