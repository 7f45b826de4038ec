"""The sealed record of a filed complaint: what it says, in one canonical form, and its hash.

Users fear that a platform (or anyone) edits records after the fact (DOMAIN.md, seed 004),
so once filed, what the complaint says is read-only everywhere and changes only by an
amendment that the timeline records. The FILED event carries ``record_sha256`` of the
record as filed; each AMENDED event carries the hash after the amendment. Filing,
amending and verifying all use the one serialisation below, so a change made behind the
portal's back (a raw SQL UPDATE) shows as a hash that no event promised.
"""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .choices import EventKind
from .models import CaseEvent, ComplaintCase, Order

# The fields an amendment may correct, named as ``case_amend`` takes them. The case's own
# text and demand, and the order's facts as the complainant typed them. Not the problem
# type, the parties (platform, merchant, complainant) or the amounts' currency: a change of
# those is a different complaint, filed anew.
CASE_AMENDABLE = ("description", "demand_text", "demand_amount", "demand_within_hours")
ORDER_AMENDABLE = ("product_name", "order_number", "amount", "paid_at", "payment_reference")
AMENDABLE_FIELDS = CASE_AMENDABLE + tuple(f"order.{name}" for name in ORDER_AMENDABLE)

# Everything the seal covers (read-only once filed, in admin too).
CASE_SEALED = ("description", "demand_kind", "demand_text", "demand_amount", "demand_within_hours")
ORDER_SEALED = (
    "order_number",
    "product_name",
    "product_kind",
    "amount",
    "currency",
    "paid_at",
    "payment_method",
    "payment_reference",
    "status_seen",
    "supplier_name",
)

RECORD_EVENTS = (EventKind.FILED, EventKind.AMENDED)


def _plain(value: Any) -> Any:
    """One spelling per value whatever the database returns: decimals with two places,
    moments in UTC to the microsecond."""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def record_snapshot(case: ComplaintCase) -> dict[str, Any]:
    """The record as it stands on ``case`` (and its order): plain JSON values only."""
    order = case.order
    return {
        "complainant": case.complainant_id,
        **{name: _plain(getattr(case, name)) for name in CASE_SEALED},
        "order": {name: _plain(getattr(order, name)) for name in ORDER_SEALED},
    }


def record_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the snapshot's canonical JSON (sorted keys, no spaces, UTF-8)."""
    content = json.dumps(
        snapshot, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(content.encode()).hexdigest()


def record_hash_of(case: ComplaintCase) -> str:
    return record_hash(record_snapshot(case))


def record_hash_sealed(case: ComplaintCase) -> str | None:
    """The hash the timeline last promised (latest FILED or AMENDED event), if any."""
    payload = (
        CaseEvent.objects.filter(case=case, kind__in=RECORD_EVENTS)
        .order_by("-seq")
        .values_list("payload", flat=True)
        .first()
    )
    return (payload or {}).get("record_sha256")


def record_value(case: ComplaintCase, field: str) -> Any:
    """The current value of an amendable ``field`` ("description", "order.amount", ...)."""
    if field.startswith("order."):
        return getattr(case.order, field.removeprefix("order."))
    return getattr(case, field)


def field_label(field: str) -> str:
    """The field's name as the forms and documents call it (its model's verbose name)."""
    model: Any = Order if field.startswith("order.") else ComplaintCase
    return str(model._meta.get_field(field.removeprefix("order.")).verbose_name)


def value_text(value: Any) -> str:
    """A value as the timeline and emails show it: local time to the second, two decimals."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def record_amendments(case: ComplaintCase) -> list[dict[str, Any]]:
    """The corrections made since filing, oldest first, for documents to declare.

    The case and order rows hold the current values, which documents print; these say
    what changed and when, so nobody reads a corrected letter as the one first sent.
    """
    events = CaseEvent.objects.filter(case=case, kind=EventKind.AMENDED).order_by("seq")
    return [
        {
            "at": event.created_at,
            "field": event.payload.get("field", ""),
            "label": field_label(event.payload["field"])
            if event.payload.get("field") in AMENDABLE_FIELDS
            else event.payload.get("field", ""),
        }
        for event in events
    ]
