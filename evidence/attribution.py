"""Who the network evidence of a case points at, in plain words for the complainant, the
platform, a regulator and a court.

DOMAIN.md, attribution (seed 000): server-side errors (5xx, timeouts talking to the
platform) point at the platform; an error that appears only after a coupon, many orders or
a new IP points at its risk-control rules. Only the platform's own hosts count: a failing
analytics script or CDN says nothing about whether the order went through, and blaming the
platform for it would be a claim the evidence does not carry.

The HAR analysis stored at upload (``EvidenceItem.analysis["har"]``, evidence.har) is the
only input read from the files, so this runs on every page view without opening them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from complaints.choices import RiskSignal

from .har import ORDER_PATH_HINTS
from .selectors import case_items

SERVER = "server"
RISK_CONTROL = "risk_control"
CLIENT = "client"
UNKNOWN = "unknown"

MAX_SUPPORTING = 5
# Failures that are the platform's servers' own (evidence.har reasons).
SERVER_REASONS = frozenset({"gateway", "server_error", "timeout"})
# Second-level labels under which a name is registered one level deeper (example.com.cn).
_SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "ac", "co"})
# Analytics, CDN and captcha services a platform's pages load: never the platform itself,
# even when the platform's own domain is unknown.
THIRD_PARTY_DOMAINS = frozenset(
    {
        "baidu.com",
        "bdstatic.com",
        "cnzz.com",
        "umeng.com",
        "google-analytics.com",
        "googletagmanager.com",
        "doubleclick.net",
        "alicdn.com",
        "aliyuncs.com",
        "qq.com",
        "gtimg.cn",
        "jsdelivr.net",
        "bootcdn.net",
        "bootcss.com",
        "cloudflare.com",
        "cloudflareinsights.com",
        "sentry.io",
        "geetest.com",
        "51.la",
    }
)


def registrable_domain(host: str) -> str:
    """``shop.kamen.example.cn`` → ``example.cn``; ``a.b.example.com.cn`` → ``example.com.cn``.

    A short rule instead of the public-suffix list: enough for the .cn / .com hosts of
    卡盟 sites, and a wrong guess only makes a host look third-party, never the reverse.
    """
    labels = [part for part in host.lower().strip(".").split(".") if part]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def website_host(website: str) -> str:
    """The host of a platform's website as typed (with or without a scheme)."""
    website = (website or "").strip()
    if not website:
        return ""
    return urlsplit(website if "//" in website else f"//{website}").hostname or ""


@dataclass(frozen=True)
class SupportingRequest:
    """One request the verdict rests on, as the HAR recorded it."""

    at: str  # local time to the millisecond, as recorded
    method: str
    host: str
    path: str
    status: int
    reason: str
    time_ms: float
    body_text: str = ""

    @property
    def line(self) -> str:
        """The request on one line: when, what, and what came back (in the active language)."""
        if self.body_text:
            outcome = _("HTTP %(status)s, but the reply says “%(text)s”") % {
                "status": self.status,
                "text": self.body_text,
            }
        elif self.status:
            outcome = f"HTTP {self.status}"
        else:
            outcome = _("no response")
        took = _("after %(ms)s ms") % {"ms": f"{self.time_ms:.0f}"}
        return f"{self.at} {self.method} {self.host}{self.path} → {outcome}, {took}"


@dataclass(frozen=True)
class Attribution:
    """The verdict (server / risk_control / client / unknown), its sentence and the requests
    it rests on. ``has_evidence``: the case has network evidence at all; documents print the
    attribution only then."""

    verdict: str
    sentence: str
    requests: tuple[SupportingRequest, ...] = ()
    has_evidence: bool = False
    risk_signals: tuple[str, ...] = field(default=())


def _local_ms(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(parsed):
        return value
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _is_order_path(path: str) -> bool:
    return any(hint in path.lower() for hint in ORDER_PATH_HINTS)


def _platform_domains(platform_hosts: Iterable[str], failures: list[dict[str, Any]]) -> set[str]:
    """The platform's registrable domains: its website's, else those its failed submits went
    to (a submit is the platform's by definition), never a known third party's."""
    domains = {registrable_domain(h) for h in platform_hosts if h}
    if not domains:
        domains = {
            registrable_domain(f["host"])
            for f in failures
            if f.get("host") and _is_order_path(str(f.get("path") or ""))
        }
    return domains - THIRD_PARTY_DOMAINS


def _supporting(failure: dict[str, Any]) -> SupportingRequest:
    return SupportingRequest(
        at=_local_ms(str(failure.get("at") or "")),
        method=str(failure.get("method") or ""),
        host=str(failure.get("host") or ""),
        path=str(failure.get("path") or "/"),
        status=int(failure.get("status") or 0),
        reason=str(failure.get("reason") or ""),
        time_ms=float(failure.get("time_ms") or 0),
        body_text=str(failure.get("body_text") or ""),
    )


def _signals_text(signals: Sequence[str]) -> str:
    return "、".join(str(RiskSignal(s).label) for s in signals) if signals else ""


def case_attribution(
    items: Iterable[Any], *, platform_hosts: Iterable[str], risk_answers: Sequence[str]
) -> Attribution:
    """Who the case's network evidence and the complainant's risk answers point at.

    ``items``: evidence items (their stored ``analysis``); ``platform_hosts``: the
    platform's website host(s), subdomains included; ``risk_answers``: the wizard's
    risk-control signals. Precedence: an error the complainant saw only after a coupon,
    many orders or a new IP is risk control even when the server answered 5xx (the rule
    decides what it answers); then the platform's own server failures; then a 2xx whose
    reply says "网络错误" (a refusal disguised as a network error); then the complainant's
    own connection. Third-party hosts never decide.
    """
    failures: list[dict[str, Any]] = []
    has_evidence = False
    for item in items:
        analysis = getattr(item, "analysis", None) or {}
        if "har" in analysis or "netdiag" in analysis:
            has_evidence = True
        failures.extend((analysis.get("har") or {}).get("failures") or [])
    signals = tuple(s for s in RiskSignal.values if s in set(risk_answers or ()))
    has_evidence = has_evidence or bool(signals)
    domains = _platform_domains(platform_hosts, failures)

    def platform(f: dict[str, Any]) -> bool:
        return registrable_domain(str(f.get("host") or "")) in domains

    own = [f for f in failures if platform(f)]
    server = [f for f in own if f.get("reason") in SERVER_REASONS]
    body = [f for f in own if f.get("reason") == "body_error"]
    client = [f for f in failures if f.get("reason") == "client_network"]
    # The supporting requests: the platform's server failures and disguised refusals first.
    chosen = server + body + [f for f in own if f not in server and f not in body]
    supporting = tuple(_supporting(f) for f in chosen[:MAX_SUPPORTING])

    if signals:
        verdict = RISK_CONTROL
        sentence = _(
            "The error came only in these circumstances: %(signals)s. That points at the "
            "platform's risk-control rules refusing the order, not at the network."
        ) % {"signals": _signals_text(signals)}
    elif server:
        verdict = SERVER
        sentence = ngettext(
            "The platform's own servers failed: %(count)s request to its site got a server "
            "error or timed out. The failure was on the platform's side, not the "
            "complainant's connection.",
            "The platform's own servers failed: %(count)s requests to its site got a server "
            "error or timed out. The failure was on the platform's side, not the "
            "complainant's connection.",
            len(server),
        ) % {"count": len(server)}
    elif body:
        verdict = RISK_CONTROL
        sentence = _(
            "The platform's server answered normally, but its reply said “%(text)s”: a "
            "refusal presented as a network error, which points at the platform's "
            "risk-control rules."
        ) % {"text": body[0].get("body_text", "")}
    elif client and len(client) == len(failures):
        verdict = CLIENT
        sentence = _(
            "Only the complainant's own connection failed; the log shows no failure of the "
            "platform's servers."
        )
    elif failures and not own:
        verdict = UNKNOWN
        sentence = _(
            "Only third-party services (analytics, CDN) failed; that does not show the "
            "platform's servers failed."
        )
    elif has_evidence:
        verdict = UNKNOWN
        sentence = _("The network evidence does not show who caused the error.")
    else:
        verdict = UNKNOWN
        sentence = ""
    return Attribution(verdict, sentence, supporting, has_evidence, signals)


def case_attribution_for(case: Any) -> Attribution:
    """``case_attribution`` of a case: its sealed evidence, its platform's website, its
    risk answers."""
    return case_attribution(
        case_items(case) if case.pk else [],
        platform_hosts=[website_host(case.order.platform.website)],
        risk_answers=case.risk_signals or [],
    )


@dataclass(frozen=True)
class ItemAnalysis:
    """What the portal read from one evidence file, in words (for staff: no codes, no
    JSON). ``sentence``: who its network evidence points at, in ``case_attribution``'s
    words; ``facts``: the figures read from it; ``requests``: the requests it rests on."""

    sentence: str = ""
    facts: tuple[str, ...] = ()
    requests: tuple[SupportingRequest, ...] = ()


def _ms_text(value: Any) -> str:
    return f"{float(value):.0f}" if value is not None else "—"


def _netdiag_facts(figures: dict[str, Any]) -> list[str]:
    host, ip = str(figures.get("host") or ""), str(figures.get("ip") or "")
    target = f"{host} ({ip})" if host and ip and host != ip else host or ip
    target = target or _("an unnamed host")
    if figures.get("tool") == "ping":
        return [
            _(
                "Ping to %(target)s: %(sent)s sent, %(received)s answered (%(loss)s%% lost); "
                "round trip %(min)s / %(avg)s / %(max)s ms (shortest / average / longest)."
            )
            % {
                "target": target,
                "sent": figures.get("sent", 0),
                "received": figures.get("received", 0),
                "loss": figures.get("loss_percent", 0),
                "min": _ms_text(figures.get("min_ms")),
                "avg": _ms_text(figures.get("avg_ms")),
                "max": _ms_text(figures.get("max_ms")),
            }
        ]
    hops = figures.get("hops") or []
    if figures.get("reached"):
        outcome = _("the route reached the target")
    elif figures.get("last_answering_hop"):
        outcome = _("the route stopped answering after hop %(hop)s") % {
            "hop": figures["last_answering_hop"]
        }
    else:
        outcome = _("no hop answered")
    return [
        ngettext(
            "Traceroute to %(target)s: %(count)s hop; %(outcome)s.",
            "Traceroute to %(target)s: %(count)s hops; %(outcome)s.",
            len(hops),
        )
        % {"target": target, "count": len(hops), "outcome": outcome}
    ]


def item_analysis(item: Any, *, platform_hosts: Iterable[str]) -> ItemAnalysis:
    """One item's stored ``analysis`` in words: a network log's verdict as
    ``case_attribution`` words it for that file alone (without the complainant's risk
    answers), its request counts, the requests the verdict rests on (or, when it rests on
    none of the platform's, the failed requests themselves); pasted ping or traceroute
    figures; an image's size."""
    analysis = getattr(item, "analysis", None) or {}
    facts: list[str] = []
    sentence = ""
    requests: tuple[SupportingRequest, ...] = ()
    har = analysis.get("har")
    if har is not None:
        verdict = case_attribution([item], platform_hosts=platform_hosts, risk_answers=())
        sentence = verdict.sentence
        failures = har.get("failures") or []
        requests = verdict.requests or tuple(_supporting(f) for f in failures[:MAX_SUPPORTING])
        facts.append(
            ngettext(
                "%(count)s request in the log, %(failed)s failed.",
                "%(count)s requests in the log, %(failed)s failed.",
                int(har.get("requests") or 0),
            )
            % {"count": har.get("requests", 0), "failed": har.get("failed", 0)}
        )
        if har.get("failures_truncated"):
            facts.append(
                _("Only the first %(kept)s failed requests were kept.") % {"kept": len(failures)}
            )
        if "redacted_copy" in analysis:
            facts.append(
                _(
                    "A copy without cookies, tokens and card keys is what everyone but a "
                    "court receives."
                )
            )
    if "netdiag" in analysis:
        facts.extend(_netdiag_facts(analysis["netdiag"]))
    if "netdiag_error" in analysis:
        facts.append(
            _("The pasted text could not be read as ping or traceroute output: %(why)s")
            % {"why": analysis["netdiag_error"]}
        )
    image = analysis.get("image")
    if image:
        facts.append(
            _("Image of %(width)s × %(height)s pixels.")
            % {"width": image.get("width"), "height": image.get("height")}
        )
    return ItemAnalysis(sentence, tuple(facts), requests)
