"""Reading HAR network logs and pasted ping / traceroute output."""

import io
import json
import tracemalloc

import pytest

from evidence.har import HarError, har_summarise
from evidence.netdiag import NetdiagError, netdiag_parse
from tests.evidence import samples


def test_a_failed_submit_is_summarised_with_millisecond_times_and_blamed_on_the_server() -> None:
    summary = har_summarise(io.BytesIO(samples.har_failed_submit()))
    assert summary["requests"] == 4
    assert summary["failed"] == 2  # the 404 of a logo is not on the order path
    first, second = summary["failures"]
    assert first == {
        "at": "2026-05-21T02:03:05.456+00:00",
        "method": "POST",
        "host": "shop.kamen.example.cn",
        "path": "/api/order/submit",
        "status": 502,
        "status_text": "Bad Gateway",
        "error": "",
        "reason": "gateway",
        "time_ms": 42.75,
        "timings": {
            "blocked": 1.5,
            "dns": 0.25,
            "connect": 10.0,
            "send": 0.5,
            "wait": 30.5,
            "receive": 0.0,
        },
    }
    assert second["status"] == 504 and second["timings"]["wait"] == 60000.0
    assert summary["attribution"] == "server"


def test_only_the_complainants_connection_failing_points_at_the_client() -> None:
    har = samples.har(
        [
            samples.har_entry(
                url="https://shop.kamen.example.cn/api/order/submit",
                status=0,
                error="net::ERR_INTERNET_DISCONNECTED",
            )
        ]
    )
    summary = har_summarise(io.BytesIO(har))
    assert summary["failures"][0]["reason"] == "client_network"
    assert summary["attribution"] == "client"


def test_a_refusal_on_the_order_path_is_left_to_staff_to_judge() -> None:
    har = samples.har(
        [samples.har_entry(url="https://shop.kamen.example.cn/pay/confirm", status=403)]
    )
    assert har_summarise(io.BytesIO(har))["attribution"] == "unclear"


def test_a_timeout_to_the_platform_points_at_the_platform() -> None:
    har = samples.har(
        [
            samples.har_entry(
                url="https://shop.kamen.example.cn/api/order/submit",
                status=0,
                error="net::ERR_TIMED_OUT",
            )
        ]
    )
    summary = har_summarise(io.BytesIO(har))
    assert summary["failures"][0]["reason"] == "timeout"
    assert summary["attribution"] == "server"


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b'{"log": {"entries": [{"request": ', b'{"something": "else"}', b"[1, 2]"],
)
def test_malformed_hars_get_a_clear_error(content: bytes) -> None:
    with pytest.raises(HarError):
        har_summarise(io.BytesIO(content))


class _BigHar(io.RawIOBase):
    """A HAR of about ``megabytes`` MB made on the fly, never held whole in memory."""

    def __init__(self, megabytes: int) -> None:
        body = "x" * 200_000
        ok = json.dumps(samples.har_entry(url="https://s.example.cn/a.js", status=200, body=body))
        bad = json.dumps(samples.har_entry(url="https://s.example.cn/order/submit", status=502))
        count = megabytes * 1024 * 1024 // len(ok)
        self.count = count
        self._parts = iter(
            [b'{"log": {"version": "1.2", "entries": [']
            + [
                (ok if i % 10 else bad).encode() + (b"," if i < count - 1 else b"")
                for i in range(count)
            ]
            + [b"]}}"]
        )
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        while len(self._buffer) < len(target):
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def test_a_100_mb_har_is_read_streaming_in_bounded_memory() -> None:
    stream = _BigHar(100)
    tracemalloc.start()
    try:
        summary = har_summarise(io.BufferedReader(stream, buffer_size=64 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary["requests"] == stream.count
    assert summary["failed"] == len(range(0, stream.count, 10))
    assert peak < 16 * 1024 * 1024


LINUX_EN = """PING shop.kamen.example.cn (203.0.113.7) 56(84) bytes of data.
64 bytes from 203.0.113.7: icmp_seq=1 ttl=52 time=31.2 ms
64 bytes from 203.0.113.7: icmp_seq=2 ttl=52 time=35.8 ms
64 bytes from 203.0.113.7: icmp_seq=4 ttl=52 time=30.0 ms

--- shop.kamen.example.cn ping statistics ---
4 packets transmitted, 3 received, 25% packet loss, time 3005ms
rtt min/avg/max/mdev = 30.012/32.333/35.812/2.501 ms
"""

LINUX_ZH = """PING shop.kamen.example.cn (203.0.113.7) 56(84) 字节的数据。
64 字节，来自 203.0.113.7: icmp_seq=1 ttl=52 时间=31.2 毫秒
64 字节，来自 203.0.113.7: icmp_seq=2 ttl=52 时间=35.8 毫秒

--- shop.kamen.example.cn ping 统计 ---
已发送 4 个包， 已接收 2 个包, 50% 包丢失, 耗时 3004 毫秒
rtt min/avg/max/mdev = 31.200/33.500/35.800/2.300 ms
"""

WINDOWS_EN = """
Pinging shop.kamen.example.cn [203.0.113.7] with 32 bytes of data:
Reply from 203.0.113.7: bytes=32 time=40ms TTL=52
Request timed out.
Reply from 203.0.113.7: bytes=32 time<1ms TTL=52
Reply from 203.0.113.7: bytes=32 time=44ms TTL=52

Ping statistics for 203.0.113.7:
    Packets: Sent = 4, Received = 3, Lost = 1 (25% loss),
Approximate round trip times in milli-seconds:
    Minimum = 0ms, Maximum = 44ms, Average = 28ms
"""

WINDOWS_ZH = """
正在 Ping shop.kamen.example.cn [203.0.113.7] 具有 32 字节的数据:
来自 203.0.113.7 的回复: 字节=32 时间=40ms TTL=52
请求超时。
请求超时。
来自 203.0.113.7 的回复: 字节=32 时间=46ms TTL=52

203.0.113.7 的 Ping 统计信息:
    数据包: 已发送 = 4，已接收 = 2，丢失 = 2 (50% 丢失)，
往返行程的估计时间(以毫秒为单位):
    最短 = 40ms，最长 = 46ms，平均 = 43ms
"""


@pytest.mark.parametrize(
    ("text", "sent", "received", "loss", "avg", "mx"),
    [
        (LINUX_EN, 4, 3, 25.0, 32.333, 35.8),
        (LINUX_ZH, 4, 2, 50.0, 33.5, 35.8),
        (WINDOWS_EN, 4, 3, 25.0, 28.167, 44.0),
        (WINDOWS_ZH, 4, 2, 50.0, 43.0, 46.0),
    ],
    ids=["linux-en", "linux-zh", "windows-en", "windows-zh"],
)
def test_ping_output_in_each_locale(text, sent, received, loss, avg, mx) -> None:  # type: ignore[no-untyped-def]
    result = netdiag_parse(text)
    assert result["tool"] == "ping"
    assert (result["host"], result["ip"]) == ("shop.kamen.example.cn", "203.0.113.7")
    assert (result["sent"], result["received"], result["loss_percent"]) == (sent, received, loss)
    assert result["avg_ms"] == avg and result["max_ms"] == mx


def test_a_truncated_ping_paste_still_counts_its_replies() -> None:
    result = netdiag_parse(WINDOWS_ZH.split("203.0.113.7 的 Ping 统计信息")[0])
    assert (result["sent"], result["received"], result["loss_percent"]) == (4, 2, 50.0)


TRACEROUTE_LINUX = """\
traceroute to shop.kamen.example.cn (203.0.113.7), 30 hops max, 60 byte packets
 1  _gateway (192.168.1.1)  0.512 ms  0.470 ms  0.455 ms
 2  10.10.0.1 (10.10.0.1)  3.101 ms  3.222 ms  3.150 ms
 3  * * *
 4  203.0.113.7 (203.0.113.7)  31.201 ms  30.990 ms  31.400 ms
"""

TRACERT_WINDOWS_ZH = """
通过最多 30 个跃点跟踪到 shop.kamen.example.cn [203.0.113.7] 的路由:

  1    <1 毫秒   <1 毫秒   <1 毫秒 192.168.1.1
  2     3 ms     3 ms     4 ms  10.10.0.1
  3     *        *        *     请求超时。
  4     *        *        *     请求超时。

跟踪完成。
"""


def test_linux_traceroute_reaches_the_platform() -> None:
    result = netdiag_parse(TRACEROUTE_LINUX)
    assert result["tool"] == "traceroute" and result["reached"] is True
    assert [h["hop"] for h in result["hops"]] == [1, 2, 3, 4]
    assert result["hops"][2] == {"hop": 3, "ip": "", "rtts_ms": [], "lost": 3, "avg_ms": None}
    assert result["hops"][3]["ip"] == "203.0.113.7"


def test_chinese_windows_tracert_that_stops_answering() -> None:
    result = netdiag_parse(TRACERT_WINDOWS_ZH)
    assert result["reached"] is False and result["last_answering_hop"] == 2
    assert result["hops"][0]["rtts_ms"] == [0.5, 0.5, 0.5]
    assert result["hops"][1] == {
        "hop": 2,
        "ip": "10.10.0.1",
        "rtts_ms": [3.0, 3.0, 4.0],
        "lost": 0,
        "avg_ms": 3.333,
    }


@pytest.mark.parametrize("text", ["", "hello world", "x" * 2_000_000])
def test_other_text_gets_a_clear_error(text: str) -> None:
    with pytest.raises(NetdiagError):
        netdiag_parse(text)


def test_an_uploaded_har_is_analysed_and_diagnostics_text_parsed(bundle, add) -> None:  # type: ignore[no-untyped-def]
    har = add(bundle, "submit.har", samples.har_failed_submit(), kind="network_log")
    assert har.analysis["har"]["attribution"] == "server"
    ping = add(bundle, "ping.txt", WINDOWS_ZH.encode(), kind="network_diagnostics")
    assert ping.analysis["netdiag"]["loss_percent"] == 50.0
