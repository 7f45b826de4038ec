"""Appending to a case's timeline, and checking that nobody rewrote it.

``events_append`` is the one writer of events: ``event_append`` is a batch of one, the
escalation engine hands it thousands. Either way each event chains onto its case's
newest event, and the hash is ``canonical.event_hash`` (the bytes
``CaseEvent.canonical_content`` defines). A collective case's timeline is written by
``collective_event_append`` with the same hash, and ``chain_verify`` walks either.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .bulk import db_datetime, db_json, insert_rows
from .canonical import canonical_at, canonical_payload, event_hash, payload_normalise
from .models import CaseEvent, CollectiveCase, CollectiveEvent, ComplaintCase
from .sql import ids_in


class EventEntry(NamedTuple):
    """One event to append: what happened to which case, and who did it (None: the system)."""

    case_id: int
    kind: str
    payload: dict[str, Any]
    actor_id: int | None = None


class AppendedEvent(NamedTuple):
    case_id: int
    seq: int
    prev_hash: str
    hash: str


EVENT_COLUMNS = ("case_id", "seq", "kind", "actor_id", "created_at", "payload", "prev_hash", "hash")


def chain_heads(case_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """The newest event (seq, hash) of each case, in one query."""
    events = CaseEvent.objects.filter(ids_in(CaseEvent, "case_id", list(case_ids)))
    if connection.vendor == "postgresql":
        # DISTINCT ON walks the (case, seq) unique index once per case.
        rows = events.order_by("case_id", "-seq").distinct("case_id")
    else:
        latest = CaseEvent.objects.filter(case_id=OuterRef("case_id")).order_by("-seq")
        rows = events.filter(seq=Subquery(latest.values("seq")[:1]))
    return {
        case_id: (seq, hash_) for case_id, seq, hash_ in rows.values_list("case_id", "seq", "hash")
    }


def events_append(entries: Sequence[EventEntry], *, now: datetime) -> list[AppendedEvent]:
    """Append ``entries`` (in order, several per case allowed) to their cases' hash chains.

    Two queries whatever the number of entries: the chain heads, then one insert. The
    caller must hold the row lock of every case involved for its transaction (lock order:
    the case row first), so nobody else takes the same sequence number or chains onto the
    same previous event; the (case, seq) unique constraint backs that up.
    """
    if not entries:
        return []
    heads = chain_heads(sorted({entry.case_id for entry in entries}))
    created_at = db_datetime(now)
    at = canonical_at(now)
    encoded: dict[Any, tuple[str, str]] = {}  # a batch repeats a handful of payloads
    rows: list[tuple[Any, ...]] = []
    appended: list[AppendedEvent] = []
    for case_id, kind, payload, actor_id in entries:
        try:
            key: Any = tuple((k, v.__class__, v) for k, v in payload.items())
            pair = encoded.get(key)
        except TypeError:  # a list or dict in the payload (unhashable): not cached
            key, pair = None, None
        if pair is None:
            stored = payload_normalise(payload)
            pair = (canonical_payload(stored), db_json(stored))
            if key is not None:
                encoded[key] = pair
        seq, prev = heads.get(case_id, (0, ""))
        seq += 1
        hash_ = event_hash(
            case_id=case_id,
            seq=seq,
            kind=kind,
            actor_id=actor_id,
            at=at,
            payload=pair[0],
            prev=prev,
        )
        heads[case_id] = (seq, hash_)
        rows.append((case_id, seq, kind, actor_id, created_at, pair[1], prev, hash_))
        appended.append(AppendedEvent(case_id, seq, prev, hash_))
    insert_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, rows)
    return appended


def event_append(
    *,
    case: ComplaintCase,
    kind: str,
    actor: Any = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """Append one event to the case's hash chain: ``events_append`` with a batch of one.

    Locks the case row so that two writers cannot both take the same sequence number or
    chain onto the same previous event.
    """
    now = now or timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic():
        ComplaintCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
        [written] = events_append([EventEntry(case.pk, kind, payload or {}, actor_id)], now=now)
    return CaseEvent.objects.get(case_id=case.pk, seq=written.seq)


def collective_event_append(
    *,
    collective: CollectiveCase,
    kind: str,
    actor: Any = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> CollectiveEvent:
    """Append one event to a collective case's hash chain, under the collective's row lock.

    The same chain as a case's: ``canonical.event_hash`` of the collective's id, the next
    sequence number and the previous event's hash.
    """
    now = now or timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic():
        CollectiveCase.objects.select_for_update().filter(pk=collective.pk).values_list("pk").get()
        seq, prev = (
            CollectiveEvent.objects.filter(collective_id=collective.pk)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        ) or (0, "")
        stored = payload_normalise(payload)
        hash_ = event_hash(
            case_id=collective.pk,
            seq=seq + 1,
            kind=kind,
            actor_id=actor_id,
            at=canonical_at(now),
            payload=canonical_payload(stored),
            prev=prev,
        )
        return CollectiveEvent.objects.create(
            collective_id=collective.pk,
            seq=seq + 1,
            kind=kind,
            actor_id=actor_id,
            created_at=now,
            payload=stored,
            prev_hash=prev,
            hash=hash_,
        )


@dataclass(frozen=True)
class ChainBreak:
    case_reference: str
    seq: int
    problem: str


def chain_verify(case: ComplaintCase | CollectiveCase) -> list[ChainBreak]:
    """Every place where the stored timeline (a case's, or a collective case's) differs
    from what its hashes promise."""
    breaks: list[ChainBreak] = []
    reference = case.reference or ""
    prev_hash = ""
    expected_seq = 1
    for event in case.events.order_by("seq").iterator():
        if event.seq != expected_seq:
            breaks.append(ChainBreak(reference, expected_seq, "missing event"))
        if event.prev_hash != prev_hash:
            breaks.append(ChainBreak(reference, event.seq, "previous hash does not match"))
        if event.compute_hash() != event.hash:
            breaks.append(ChainBreak(reference, event.seq, "content does not match its hash"))
        prev_hash = event.hash
        expected_seq = event.seq + 1
    return breaks
