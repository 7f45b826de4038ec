"""The bytes a timeline event's hash covers, built from parts: the one definition.

``CaseEvent.canonical_content`` and the bulk event writer (``timeline.events_append``)
both call ``canonical_content``; there is no second encoder to keep in step. The parts
are JSON members a bulk writer can compute once per batch (the instant, each distinct
payload), so thousands of events cost one string format and one SHA-256 each.

Invariant: the result is the compact, key-sorted, non-ASCII-preserving JSON of
``{"actor", "at", "case", "kind", "payload", "prev", "seq"}``, with ``at`` in UTC at
microsecond precision and ``payload`` as the database returns it; hashes already stored
depend on these exact bytes.
"""

import hashlib
import json
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def payload_normalise(payload: dict[str, Any] | None) -> dict[str, Any]:
    """Round-trip through JSON so the hash covers exactly what the database will return."""
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))


def canonical_at(moment: datetime) -> str:
    """The ``"at"`` member's JSON."""
    return encode_basestring(moment.astimezone(UTC).isoformat(timespec="microseconds"))


def canonical_payload(payload: dict[str, Any] | None) -> str:
    """The ``"payload"`` member's JSON (normalised as stored, keys sorted)."""
    return json.dumps(
        payload_normalise(payload),
        cls=DjangoJSONEncoder,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def canonical_content(
    *, case_id: int, seq: int, kind: str, actor_id: int | None, at: str, payload: str, prev: str
) -> bytes:
    """The hashed bytes: ``at`` and ``payload`` made by the helpers above, ``kind`` and
    ``prev`` plain strings. Members in sorted key order, as ``sort_keys`` would put them."""
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
    """SHA-256 (hex) of ``canonical_content`` of the same parts."""
    return hashlib.sha256(
        canonical_content(
            case_id=case_id,
            seq=seq,
            kind=kind,
            actor_id=actor_id,
            at=at,
            payload=payload,
            prev=prev,
        )
    ).hexdigest()
