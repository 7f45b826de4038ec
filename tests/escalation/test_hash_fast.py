"""The sweep's hash shortcut writes exactly the bytes ``CaseEvent.canonical_content`` does."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from complaints.models import CaseEvent
from complaints.timeline import (
    _normalise,
    canonical_at,
    canonical_content_from_parts,
    canonical_payload,
    event_hash,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYLOADS = [
    None,
    {},
    {"from_tier": "platform", "to_tier": "watchdog", "reason": "expired"},
    {"z": 1, "a": {"y": [3, 2, {"b": None, "a": True}], "x": False}, "m": 1.5},
    {"text": '中文 "引号" back\\slash\ttab\nnewline\r\x00\x1f \u2028 😀 é'},
    {"amount": Decimal("30.00"), "when": datetime(2026, 5, 20, 9, 0, tzinfo=SHANGHAI)},
    {"big": 10**30, "neg": -7, "float": 1e-7, "list": [], "nested": {"empty": {}}},
    {"clocks": ["first_response", "update"], "due": "2026-05-20T01:00:00+00:00"},
]
MOMENTS = [
    datetime(2026, 5, 20, 9, 0, tzinfo=SHANGHAI),
    datetime(2026, 5, 20, 1, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize(
    ("actor_id", "kind", "prev"),
    [(None, "escalated", ""), (42, "deadline_warning", "ab" * 32), (7, '已升级"\\', "x\ny")],
)
def test_fast_path_is_byte_identical(payload, moment, actor_id, kind, prev) -> None:  # type: ignore[no-untyped-def]
    event = CaseEvent(
        case_id=123456789,
        seq=17,
        kind=kind,
        actor_id=actor_id,
        created_at=moment,
        payload=_normalise(payload),
        prev_hash=prev,
    )
    parts = {
        "case_id": 123456789,
        "seq": 17,
        "kind": kind,
        "actor_id": actor_id,
        "at": canonical_at(moment),
        "payload": canonical_payload(payload),
        "prev": prev,
    }
    assert canonical_content_from_parts(**parts) == event.canonical_content()
    assert event_hash(**parts) == event.compute_hash()


def test_a_different_part_gives_a_different_hash() -> None:
    parts = {
        "case_id": 1,
        "seq": 2,
        "kind": "escalated",
        "actor_id": None,
        "at": canonical_at(MOMENTS[0]),
        "payload": canonical_payload(PAYLOADS[2]),
        "prev": "",
    }
    assert event_hash(**parts) != event_hash(**{**parts, "seq": 3})
    assert event_hash(**parts) != event_hash(**{**parts, "prev": "0" * 64})
