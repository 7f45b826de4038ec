"""Reading a browser's network log (HAR) for the requests that failed, and who failed.

A HAR can be hundreds of megabytes (response bodies are inlined), so it is read as a
stream of JSON events with ijson: memory holds one entry's few fields at a time, never
the document. Of a response body only its first ``BODY_SCAN_CHARS`` are kept, long enough
to see a 2xx that says "网络错误" (a refusal disguised as a network error), until the
entry ends. Nesting depth and token count are bounded
before and while parsing (``evidence.jsonlimits``).
"""

import base64
import binascii
import re
from collections import Counter
from datetime import datetime
from typing import IO, Any
from urllib.parse import urlsplit

import ijson
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .jsonlimits import json_events

# Paths that carry an order, a payment or a submit: a 4xx there is part of the story.
ORDER_PATH_HINTS = ("order", "pay", "submit", "checkout", "buy", "purchase", "cart", "trade")
# Chrome's net error names that mean the complainant's own connection failed.
CLIENT_ERRORS = (
    "ERR_INTERNET_DISCONNECTED",
    "ERR_NAME_NOT_RESOLVED",
    "ERR_NETWORK_CHANGED",
    "ERR_ADDRESS_UNREACHABLE",
    "ERR_PROXY_CONNECTION_FAILED",
    "ERR_BLOCKED_BY_CLIENT",
    "NS_ERROR_OFFLINE",
)
GATEWAY_STATUSES = (502, 503, 504)
# What a 2xx reply says when the platform refuses an order while pretending the network
# failed: risk-control rules often answer 200 with one of these (DOMAIN.md, seed 000).
BODY_ERROR_TEXTS = (
    "网络错误",
    "网络异常",
    "网络繁忙",
    "系统繁忙",
    "系统异常",
    "服务繁忙",
    "服务器繁忙",
    "network error",
    "network busy",
    "system busy",
)
BODY_SCAN_CHARS = 16 * 1024
_BODY_MIME_HINTS = ("json", "html", "text", "javascript", "xml")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")

# For pages that show a summary: what each code means, in the user's language.
ATTRIBUTION_LABELS = {
    "server": gettext_lazy("Server side: the platform's servers failed or timed out."),
    "client": gettext_lazy("Client side: only your own connection failed."),
    "unclear": gettext_lazy(
        "Unclear: the platform refused the order; this can be a hidden risk-control rule."
    ),
    "none": gettext_lazy("No failed requests in the log."),
}
REASON_LABELS = {
    "gateway": gettext_lazy("Gateway error (502/503/504)"),
    "server_error": gettext_lazy("Server error (5xx)"),
    "rejected": gettext_lazy("Refused on the order path (4xx)"),
    "timeout": gettext_lazy("Timed out"),
    "connection": gettext_lazy("Connection failed"),
    "client_network": gettext_lazy("Your connection failed"),
    "no_response": gettext_lazy("No response"),
    "body_error": gettext_lazy("Answered, but the reply says it failed"),
}

_ENTRY = "log.entries.item"
_FIELDS = {
    f"{_ENTRY}.startedDateTime": "started",
    f"{_ENTRY}.time": "time",
    f"{_ENTRY}.request.method": "method",
    f"{_ENTRY}.request.url": "url",
    f"{_ENTRY}.response.status": "status",
    f"{_ENTRY}.response.statusText": "status_text",
    f"{_ENTRY}.response._error": "error",
    f"{_ENTRY}._error": "error",
    f"{_ENTRY}.timings.wait": "wait",
    f"{_ENTRY}.timings.connect": "connect",
    f"{_ENTRY}.timings.receive": "receive",
    f"{_ENTRY}.timings.blocked": "blocked",
    f"{_ENTRY}.timings.dns": "dns",
    f"{_ENTRY}.timings.send": "send",
    f"{_ENTRY}.response.content.mimeType": "mime",
    f"{_ENTRY}.response.content.encoding": "encoding",
}
_BODY = f"{_ENTRY}.response.content.text"


class HarError(ValueError):
    """The file is not a readable HAR network log; the message is for the user."""


def _body_error(entry: dict[str, Any]) -> str:
    """The error text a body's first characters contain, or "" (JSON ``\\uXXXX`` escapes and
    base64 bodies read too; binary types are not looked at)."""
    head = str(entry.get("body") or "")
    mime = str(entry.get("mime") or "").lower()
    if not head or (mime and not any(h in mime for h in _BODY_MIME_HINTS)):
        return ""
    if str(entry.get("encoding") or "").lower() == "base64":
        try:
            head = base64.b64decode(head[: len(head) // 4 * 4]).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return ""
    head = _UNICODE_ESCAPE.sub(lambda m: chr(int(m[1], 16)), head).casefold()
    return next((text for text in BODY_ERROR_TEXTS if text in head), "")


def _failure(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The entry as a failed request, or None when it succeeded."""
    status = int(entry.get("status") or 0)
    error = str(entry.get("error") or "")
    url = urlsplit(str(entry.get("url") or ""))
    path = url.path or "/"
    on_order_path = any(h in path.lower() for h in ORDER_PATH_HINTS)
    body_error = _body_error(entry) if 200 <= status < 300 else ""
    if body_error:
        reason = "body_error"
    elif status >= 500:
        reason = "gateway" if status in GATEWAY_STATUSES else "server_error"
    elif 400 <= status < 500 and on_order_path:
        reason = "rejected"
    elif status == 0 or error:
        if any(code in error for code in CLIENT_ERRORS):
            reason = "client_network"
        elif "TIMED_OUT" in error.upper() or "timeout" in error.lower():
            reason = "timeout"
        elif error:
            reason = "connection"
        else:
            reason = "no_response"
    else:
        return None
    timings = {
        k: round(float(entry[k]), 3)
        for k in ("blocked", "dns", "connect", "send", "wait", "receive")
        if isinstance(entry.get(k), int | float) and entry[k] >= 0
    }
    return {
        "at": _ms(str(entry.get("started") or "")),
        "method": str(entry.get("method") or ""),
        "host": url.hostname or "",
        "path": path,
        "status": status,
        "status_text": str(entry.get("status_text") or ""),
        "error": error,
        "reason": reason,
        "time_ms": round(float(entry.get("time") or 0), 3),
        "timings": timings,
        **({"body_text": body_error} if body_error else {}),
    }


def _ms(value: str) -> str:
    """ISO 8601 to the millisecond, as the HAR recorded it (kept verbatim if unparseable)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed.isoformat(timespec="milliseconds")


def _attribution(reasons: Counter[str]) -> str:
    """Who the failures point at (DOMAIN.md, seed 000).

    ``server``: 5xx answers, gateway errors and timeouts talking to the platform are the
    platform's. ``client``: only the complainant's own connection failed. ``unclear``:
    only refusals on the order path, which can be risk-control rules; staff must judge.
    """
    if reasons["gateway"] or reasons["server_error"] or reasons["timeout"]:
        return "server"
    if reasons and set(reasons) <= {"client_network"}:
        return "client"
    if reasons:
        return "unclear"
    return "none"


def har_summarise(stream: IO[bytes], *, max_failures: int | None = None) -> dict[str, Any]:
    """Summary of a HAR: request count, failed requests (capped) and the attribution."""
    max_failures = max_failures or settings.EVIDENCE_HAR_MAX_FAILURES
    total = 0
    reasons: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    hosts: Counter[str] = Counter()
    entry: dict[str, Any] | None = None
    seen_log = False
    try:
        for prefix, event, value in json_events(stream, use_float=True):
            if prefix == "log" and event == "start_map":
                seen_log = True
            elif prefix == _ENTRY and event == "start_map":
                entry = {}
            elif prefix == _ENTRY and event == "end_map" and entry is not None:
                total += 1
                failed = _failure(entry)
                if failed is not None:
                    reasons[failed["reason"]] += 1
                    hosts[failed["host"]] += 1
                    if len(failures) < max_failures:
                        failures.append(failed)
                entry = None
            elif entry is not None and prefix == _BODY and event == "string":
                entry["body"] = value[:BODY_SCAN_CHARS]
            elif entry is not None and prefix in _FIELDS and event != "null":
                entry[_FIELDS[prefix]] = value
    except ijson.JSONError as exc:
        message = _("The network log is damaged or incomplete: it is not valid JSON.")
        raise HarError(message) from exc
    if not seen_log:
        raise HarError(_("This is not a HAR network log (no “log” section)."))
    return {
        "requests": total,
        "failed": sum(reasons.values()),
        "reasons": dict(reasons),
        "failed_hosts": dict(hosts.most_common(10)),
        "failures": failures,
        "failures_truncated": sum(reasons.values()) > len(failures),
        "attribution": _attribution(reasons),
    }
