"""Appending to a case's timeline, and checking that nobody rewrote it."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import CaseEvent, ComplaintCase


def _normalise(payload: dict[str, Any] | None) -> dict[str, Any]:
    """Round-trip through JSON so the hash covers exactly what the database will return."""
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))


def event_append(
    *,
    case: ComplaintCase,
    kind: str,
    actor: Any = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """Append one event to the case's hash chain.

    Locks the case row so that two writers cannot both take the same sequence number or
    chain onto the same previous event.
    """
    with transaction.atomic():
        ComplaintCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
        last = CaseEvent.objects.filter(case=case).order_by("-seq").values("seq", "hash").first()
        event = CaseEvent(
            case=case,
            seq=(last["seq"] + 1) if last else 1,
            kind=kind,
            actor=actor if getattr(actor, "pk", None) else None,
            created_at=now or timezone.now(),
            payload=_normalise(payload),
            prev_hash=last["hash"] if last else "",
        )
        event.hash = event.compute_hash()
        event.save()
    return event


def events_build_chain(
    *, case: ComplaintCase, entries: Iterable[dict[str, Any]], last: CaseEvent | None
) -> list[CaseEvent]:
    """Unsaved events chained after ``last``, for bulk inserts under a lock the caller holds."""
    seq = last.seq if last else 0
    prev = last.hash if last else ""
    built = []
    for entry in entries:
        seq += 1
        event = CaseEvent(
            case=case,
            seq=seq,
            kind=entry["kind"],
            actor=entry.get("actor"),
            created_at=entry["now"],
            payload=_normalise(entry.get("payload")),
            prev_hash=prev,
        )
        event.hash = event.compute_hash()
        prev = event.hash
        built.append(event)
    return built


# --- the same hash without a model instance, for bulk writers ------------------------------
# ``CaseEvent.canonical_content`` is the definition; these build the very same bytes from
# parts a bulk writer computes once per batch (the instant, each distinct payload), so
# thousands of events cost one string format and one SHA-256 each. tests/complaints pins
# them byte for byte to the definition.


def canonical_at(moment: datetime) -> str:
    """The ``"at"`` member's JSON, as ``canonical_content`` writes it."""
    return encode_basestring(moment.astimezone(UTC).isoformat(timespec="microseconds"))


def canonical_payload(payload: dict[str, Any] | None) -> str:
    """The ``"payload"`` member's JSON (normalised as stored, keys sorted)."""
    return json.dumps(
        _normalise(payload),
        cls=DjangoJSONEncoder,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def canonical_content_from_parts(
    *, case_id: int, seq: int, kind: str, actor_id: int | None, at: str, payload: str, prev: str
) -> bytes:
    """``CaseEvent.canonical_content`` from parts: ``at`` and ``payload`` made by the helpers
    above, ``kind`` and ``prev`` plain strings. Keys in sorted order, as ``sort_keys`` puts them."""
    return (
        '{"actor":%s,"at":%s,"case":%s,"kind":%s,"payload":%s,"prev":%s,"seq":%s}'  # noqa: UP031
        % (
            "null" if actor_id is None else int.__repr__(actor_id),
            at,
            int.__repr__(case_id),
            encode_basestring(kind),
            payload,
            encode_basestring(prev),
            int.__repr__(seq),
        )
    ).encode()


def event_hash(
    *, case_id: int, seq: int, kind: str, actor_id: int | None, at: str, payload: str, prev: str
) -> str:
    """``CaseEvent.compute_hash`` from the same parts."""
    return hashlib.sha256(
        canonical_content_from_parts(
            case_id=case_id,
            seq=seq,
            kind=kind,
            actor_id=actor_id,
            at=at,
            payload=payload,
            prev=prev,
        )
    ).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    case_reference: str
    seq: int
    problem: str


def chain_verify(case: ComplaintCase) -> list[ChainBreak]:
    """Every place where the stored timeline differs from what its hashes promise."""
    breaks: list[ChainBreak] = []
    prev_hash = ""
    expected_seq = 1
    for event in case.events.order_by("seq").iterator():
        if event.seq != expected_seq:
            breaks.append(ChainBreak(case.reference, expected_seq, "missing event"))
        if event.prev_hash != prev_hash:
            breaks.append(ChainBreak(case.reference, event.seq, "previous hash does not match"))
        if event.compute_hash() != event.hash:
            breaks.append(ChainBreak(case.reference, event.seq, "content does not match its hash"))
        prev_hash = event.hash
        expected_seq = event.seq + 1
    return breaks
