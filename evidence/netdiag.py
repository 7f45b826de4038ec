"""Pasted ``ping`` and ``traceroute`` / ``tracert`` output as latency and packet-loss figures.

Complainants paste what their terminal printed: Windows or Linux, Chinese or English.
The parser reads the per-reply lines rather than trusting one summary format, so a
truncated paste still gives figures.
"""

import re
from statistics import mean
from typing import Any

from django.utils.translation import gettext as _

MAX_CHARS = 1_000_000

_PING_TARGET = re.compile(
    r"^\s*(?:PING|Pinging|正在\s*Ping)\s+(?P<host>\S+)\s*[\[(](?P<ip>[0-9a-fA-F.:]+)[\])]",
    re.MULTILINE,
)
_REPLY_TIME = re.compile(
    r"(?:time|时间)\s*(?P<op>[=<])\s*(?P<ms>\d+(?:\.\d+)?)\s*(?:ms|毫秒)", re.IGNORECASE
)
_TIMEOUT = re.compile(
    r"Request timed out|请求超时|Destination (?:host|net) unreachable|无法访问目标主机|"
    r"General failure|一般故障|传输失败",
    re.I,
)
_SENT_RECEIVED = [
    re.compile(r"(?P<sent>\d+)\s+packets transmitted,\s*(?P<received>\d+)\s+(?:packets )?received"),
    re.compile(r"已发送\s*(?P<sent>\d+)\s*个包[，,]\s*已接收\s*(?P<received>\d+)\s*个包"),
    re.compile(
        r"(?:Sent|已发送)\s*=\s*(?P<sent>\d+)\s*[，,]\s*(?:Received|已接收)\s*=\s*(?P<received>\d+)"
    ),
]
_TRACE_START = re.compile(
    r"^\s*(?:traceroute to|Tracing route to|通过最多\s*\d+\s*个跃点跟踪)", re.I | re.MULTILINE
)
# Chinese Windows breaks the header: "通过最多 30 个跃点跟踪" then, on its own line,
# "到 shop.example.cn [203.0.113.7] 的路由:"; a bare IP target has no brackets.
_TRACE_TARGET = re.compile(
    r"(?:\bto|到)\s+(?P<host>[^\s\[\]()]+)\s*[\[(](?P<ip>[0-9a-fA-F.:]+)[\])]"
    r"|(?:\bto|到)\s+(?P<bare>(?:\d{1,3}\.){3}\d{1,3})(?![\d.])"
)
_HOP = re.compile(r"^\s*(?P<hop>\d{1,2})\s+(?P<rest>.+)$")
_HOP_TIME = re.compile(r"(?P<op><)?\s*(?P<ms>\d+(?:\.\d+)?)\s*(?:ms|毫秒)", re.I)
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[0-9a-fA-F]*:[0-9a-fA-F:]+:[0-9a-fA-F]+\b")


class NetdiagError(ValueError):
    """The text is neither ping nor traceroute output; the message is for the user."""


def _ms(match: re.Match[str]) -> float:
    value = float(match["ms"])
    # Windows prints "<1ms" for sub-millisecond replies: count them as half a millisecond.
    return 0.5 if match["op"] == "<" and value <= 1 else value


def ping_parse(text: str) -> dict[str, Any]:
    """Latency (min / avg / max, ms) and packet loss of a pasted ping run."""
    target = _PING_TARGET.search(text)
    times = [_ms(m) for m in _REPLY_TIME.finditer(text)]
    timeouts = len(_TIMEOUT.findall(text))
    sent = received = None
    for pattern in _SENT_RECEIVED:
        found = pattern.search(text)
        if found:
            sent, received = int(found["sent"]), int(found["received"])
            break
    if sent is None:
        sent, received = len(times) + timeouts, len(times)
    if not sent or received is None:
        raise NetdiagError(_("No ping replies or timeouts were found in the text."))
    return {
        "tool": "ping",
        "host": target["host"] if target else "",
        "ip": target["ip"] if target else "",
        "sent": sent,
        "received": received,
        "loss_percent": round(100 * (sent - received) / sent, 1),
        "min_ms": min(times) if times else None,
        "avg_ms": round(mean(times), 3) if times else None,
        "max_ms": max(times) if times else None,
    }


def _trace_target(text: str) -> tuple[str, str]:
    """(host, ip) from the header: the lines from "traceroute to" / "通过最多…跟踪" up to the
    first hop, joined, since Chinese Windows puts the target on a line of its own."""
    start = _TRACE_START.search(text)
    header: list[str] = []
    for line in text[start.start() if start else 0 :].splitlines()[:4]:
        if header and _HOP.match(line):
            break
        header.append(line.strip())
    found = _TRACE_TARGET.search(" ".join(header))
    if found is None:
        return "", ""
    if found["bare"]:
        return found["bare"], found["bare"]
    return found["host"], found["ip"]


def traceroute_parse(text: str) -> dict[str, Any]:
    """The hops of a pasted traceroute / tracert run, and where the route stopped answering."""
    host, ip = _trace_target(text)
    hops = []
    for line in text.splitlines():
        if _TRACE_START.match(line):
            continue
        found = _HOP.match(line)
        if not found:
            continue
        rest = found["rest"]
        rtts = [_ms(m) for m in _HOP_TIME.finditer(rest)]
        lost = rest.count("*")
        if not rtts and not lost:
            continue
        ips = _IP.findall(_HOP_TIME.sub(" ", rest))
        hops.append(
            {
                "hop": int(found["hop"]),
                "ip": ips[-1] if ips else "",
                "rtts_ms": rtts,
                "lost": lost,
                "avg_ms": round(mean(rtts), 3) if rtts else None,
            }
        )
    if not hops:
        raise NetdiagError(_("No traceroute hops were found in the text."))
    answering = [h for h in hops if h["rtts_ms"]]
    return {
        "tool": "traceroute",
        "host": host,
        "ip": ip,
        "hops": hops,
        "reached": bool(ip) and any(h["ip"] == ip and h["rtts_ms"] for h in hops),
        "last_answering_hop": answering[-1]["hop"] if answering else None,
    }


def netdiag_parse(text: str) -> dict[str, Any]:
    """Ping or traceroute figures from pasted terminal output; refuses anything else."""
    if len(text) > MAX_CHARS:
        raise NetdiagError(_("The pasted text is too long; paste one ping or traceroute run."))
    if _TRACE_START.search(text):
        return traceroute_parse(text)
    return ping_parse(text)
