"""Smart dispatch: on filing, a case is classified and routed to a triager.

Classification is one ordered table of rules (``RULES``), read top to bottom: every rule
that matches adds its tags; the first matching rule that names a kind gives the kind;
the priority is the most pressing (lowest number) of the matching rules. Routing gives
the case to the triager with the fewest open cases of that kind, ties to the lowest pk,
so that each kind's work spreads evenly and the same case always goes to the same person.
Nobody in the triager group: the case stays unassigned, for first-responder
responsibility to settle.

Routing is serialised per kind: the count and the assignment run under a lock held until
the filing's transaction ends (on PostgreSQL a transaction-level advisory lock keyed by
the kind; SQLite writes one transaction at a time anyway), so two cases of one kind filed
at the same moment are counted one after the other and go to different triagers. Filings
of different kinds do not wait for each other.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from complaints.access import TRIAGER_GROUP
from complaints.choices import (
    LOST_ORDER_TYPES,
    OPEN_STATUSES,
    DispatchKind,
    ProblemType,
    Urgency,
)
from complaints.models import ComplaintCase

# Words that make a complaint urgent whatever the urgency box says.
URGENT_WORDS = ("紧急", "加急", "急需", "urgent", "asap")

TAG_LOST_ORDER = "lost order: priority"
TAG_URGENT = "urgent"
TAG_LARGE_AMOUNT = "large amount"
TAG_LABELS = {
    TAG_LOST_ORDER: _("lost order: priority"),
    TAG_URGENT: _("urgent"),
    TAG_LARGE_AMOUNT: _("large amount"),
}


@dataclass(frozen=True)
class Rule:
    """When ``applies``, the case gets ``tags``, and ``kind``/``priority`` if given."""

    name: str
    applies: Callable[[ComplaintCase], bool]
    kind: str | None = None
    priority: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dispatch:
    kind: str
    priority: int
    tags: tuple[str, ...]


def _problem(*types: str) -> Callable[[ComplaintCase], bool]:
    return lambda case: case.problem_type in types


def _urgent(case: ComplaintCase) -> bool:
    text = f"{case.description} {case.urgency_reason} {case.demand_text}".lower()
    return case.urgency == Urgency.URGENT or any(word in text for word in URGENT_WORDS)


def _large_amount(case: ComplaintCase) -> bool:
    return case.order.amount >= Decimal(str(settings.DISPATCH_LARGE_AMOUNT))


# Priority 1 is the most pressing, 4 the least.
RULES: tuple[Rule, ...] = (
    Rule("urgent words", _urgent, priority=1, tags=(TAG_URGENT,)),
    Rule("large amount", _large_amount, priority=2, tags=(TAG_LARGE_AMOUNT,)),
    # A lost order is money paid for nothing, usually recoverable only while fresh.
    Rule(
        "lost order",
        _problem(*LOST_ORDER_TYPES),
        kind=DispatchKind.LOST_ORDER,
        priority=2,
        tags=(TAG_LOST_ORDER,),
    ),
    Rule(
        "card key", _problem(ProblemType.INVALID_CARD_KEY), kind=DispatchKind.CARD_KEY, priority=3
    ),
    Rule(
        "network error",
        _problem(ProblemType.NETWORK_ERROR),
        kind=DispatchKind.NETWORK_ERROR,
        priority=3,
    ),
    Rule("delivery", _problem(ProblemType.NOT_DELIVERED), kind=DispatchKind.DELIVERY, priority=3),
    Rule("anything else", lambda case: True, kind=DispatchKind.OTHER, priority=4),
)


def dispatch_classify(case: ComplaintCase, rules: tuple[Rule, ...] = RULES) -> Dispatch:
    """Kind, priority and tags of a case by the rule table (see the module docstring)."""
    matching = [rule for rule in rules if rule.applies(case)]
    kind = next((r.kind for r in matching if r.kind is not None), DispatchKind.OTHER)
    priority = min((r.priority for r in matching if r.priority is not None), default=4)
    tags: list[str] = []
    for rule in matching:
        tags.extend(tag for tag in rule.tags if tag not in tags)
    return Dispatch(kind=str(kind), priority=priority, tags=tuple(tags))


# The first key of the two-key advisory lock: routing's own namespace ("disp").
_ROUTING_LOCK_NAMESPACE = 0x64697370  # "disp"


def _routing_lock(kind: str) -> None:
    """Wait for the other filings of ``kind`` to commit; held until this transaction ends.

    PostgreSQL's ``pg_advisory_xact_lock``: no row is locked (triagers' user rows stay
    free for sign-ins and admin edits), and it is released at commit or rollback, so a
    crashed filing cannot keep it. Under READ COMMITTED the count that follows is a new
    statement and sees what the previous filing committed.
    """
    if connection.vendor != "postgresql":
        return  # SQLite: the filing's transaction already holds the database's write lock
    key = zlib.crc32(kind.encode()) - 2**31  # stable across processes, unlike hash()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ROUTING_LOCK_NAMESPACE, key])


def triager_least_loaded(kind: str) -> Any:
    """The active triager with the fewest open cases of ``kind``; ties to the lowest pk.

    Call it inside the transaction that assigns the case (``case_file``): it first takes
    the routing lock of ``kind`` (see the module docstring), then counts in one query.
    Concurrent filings of one kind therefore see each other's assignments.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("triager_least_loaded must run inside the assigning transaction")
    _routing_lock(kind)
    open_of_kind = Q(assigned_cases__dispatch_kind=kind, assigned_cases__status__in=OPEN_STATUSES)
    return (
        get_user_model()
        .objects.filter(groups__name=TRIAGER_GROUP, is_active=True, is_staff=True)
        .annotate(load=Count("assigned_cases", filter=open_of_kind))
        .order_by("load", "pk")
        .first()
    )
