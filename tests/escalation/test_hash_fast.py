"""Events written in bulk verify: the stored hash is what ``CaseEvent.compute_hash`` gives.

There is one encoder (``complaints.canonical``); this pins the database round trip
(payload as stored, instant as stored) for awkward payloads and moments.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from complaints.canonical import canonical_at, canonical_payload, event_hash
from complaints.models import CaseEvent
from complaints.timeline import EventEntry, chain_verify, events_append
from tests.factories import case_filed

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYLOADS = [
    {},
    {"from_tier": "platform", "to_tier": "watchdog", "reason": "expired", "note": ""},
    {"z": 1, "a": {"y": [3, 2, {"b": None, "a": True}], "x": False}, "m": 1.5},
    {"text": '中文 "引号" back\\slash\ttab\nnewline\r\x1f \u2028 😀 é'},
    {"amount": Decimal("30.00"), "when": datetime(2026, 5, 20, 9, 0, tzinfo=SHANGHAI)},
    {"big": 10**15, "neg": -7, "float": 1e-7, "list": [], "nested": {"empty": {}}},
    {"flag": True},
    {"flag": 1},  # equal to True in Python, not in JSON: never confused by the payload cache
]
MOMENTS = [
    datetime(2026, 5, 20, 9, 0, tzinfo=SHANGHAI),
    datetime(2026, 5, 20, 1, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_bulk_written_events_verify_after_the_round_trip(complainant, moment) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=moment - timedelta(days=1))
    entries = [EventEntry(case.pk, "message", payload, complainant.pk) for payload in PAYLOADS]
    with transaction.atomic():
        written = events_append(entries, now=moment)
    stored = list(CaseEvent.objects.filter(case=case, seq__gt=1).order_by("seq"))
    assert [e.hash for e in stored] == [w.hash for w in written]
    assert all(e.compute_hash() == e.hash for e in stored)
    assert stored[-1].payload == {"flag": 1} and stored[-2].payload == {"flag": True}
    assert chain_verify(case) == []


def test_a_different_part_gives_a_different_hash() -> None:
    parts = {
        "case_id": 1,
        "seq": 2,
        "kind": "escalated",
        "actor_id": None,
        "at": canonical_at(MOMENTS[0]),
        "payload": canonical_payload(PAYLOADS[1]),
        "prev": "",
    }
    assert event_hash(**parts) != event_hash(**{**parts, "seq": 3})
    assert event_hash(**parts) != event_hash(**{**parts, "prev": "0" * 64})
