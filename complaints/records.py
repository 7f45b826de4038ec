"""The sealed record of a filed complaint: what it says, in one canonical form, and its hash.

Users fear that a platform (or anyone) edits records after the fact (DOMAIN.md, seed 004),
so once filed, what the complaint says is read-only everywhere and changes only by an
amendment that the timeline records. The FILED event carries ``record_sha256`` of the
record as filed; each AMENDED event carries the hash after the amendment. Filing,
amending and verifying all use the one serialisation below, so a change made behind the
portal's back (a raw SQL UPDATE) shows as a hash that no event promised.

The seal grows by versions: a field joins it in a new version, and each sealing event
names its version (``record_version``; events written before versions existed are
version 1). A record is verified over the fields its last sealing event covered, so a
record filed before a field joined the seal still verifies, and the next amendment seals
it again at the current version.
"""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .choices import EventKind, OtherProceedings
from .models import CaseEvent, ComplaintCase, Order

# The fields an amendment may correct, named as ``case_amend`` takes them. The case's own
# text and demand, whether the dispute is before another body, and the order's facts as
# the complainant typed them. Not the problem type, the parties (platform, merchant,
# complainant) or the amounts' currency: a change of those is a different complaint,
# filed anew.
CASE_AMENDABLE = (
    "description",
    "demand_text",
    "demand_amount",
    "demand_within_hours",
    "other_proceedings",
)
ORDER_AMENDABLE = ("product_name", "order_number", "amount", "paid_at", "payment_reference")
AMENDABLE_FIELDS = CASE_AMENDABLE + tuple(f"order.{name}" for name in ORDER_AMENDABLE)

# Everything the seal covers (read-only once filed, in admin too), by seal version.
_CASE_SEALED_V1 = (
    "description",
    "demand_kind",
    "demand_text",
    "demand_amount",
    "demand_within_hours",
)
_ORDER_SEALED_V1 = (
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
# Version 2: whether the dispute is before another body (市场监督管理投诉举报处理暂行办法
# art. 15: it decides whether 12315 may accept the complaint) and the payee on the bill.
CASE_SEALED = (*_CASE_SEALED_V1, "other_proceedings")
ORDER_SEALED = (*_ORDER_SEALED_V1, "merchant_on_bill")
SEALS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    1: (_CASE_SEALED_V1, _ORDER_SEALED_V1),
    2: (CASE_SEALED, ORDER_SEALED),
}
SEAL_VERSION = max(SEALS)

# Amendable fields whose stored value is a code; the timeline and emails show its label.
CHOICE_FIELDS: dict[str, Any] = {"other_proceedings": OtherProceedings}

RECORD_EVENTS = (EventKind.FILED, EventKind.AMENDED)


def _plain(value: Any) -> Any:
    """One spelling per value whatever the database returns: decimals with two places,
    moments in UTC to the microsecond."""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def record_snapshot(case: ComplaintCase, version: int = SEAL_VERSION) -> dict[str, Any]:
    """The record as it stands on ``case`` (and its order), over the fields seal
    ``version`` covers: plain JSON values only."""
    case_fields, order_fields = SEALS[version]
    order = case.order
    return {
        "complainant": case.complainant_id,
        **{name: _plain(getattr(case, name)) for name in case_fields},
        "order": {name: _plain(getattr(order, name)) for name in order_fields},
    }


def record_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the snapshot's canonical JSON (sorted keys, no spaces, UTF-8)."""
    content = json.dumps(
        snapshot, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(content.encode()).hexdigest()


def record_hash_of(case: ComplaintCase, version: int = SEAL_VERSION) -> str:
    return record_hash(record_snapshot(case, version))


def record_seal(case: ComplaintCase) -> dict[str, Any]:
    """What a FILED or AMENDED event carries to seal the record as it now stands."""
    return {"record_sha256": record_hash_of(case), "record_version": SEAL_VERSION}


def _last_seal(case: ComplaintCase) -> dict[str, Any]:
    payload = (
        CaseEvent.objects.filter(case=case, kind__in=RECORD_EVENTS)
        .order_by("-seq")
        .values_list("payload", flat=True)
        .first()
    )
    return payload or {}


def record_hash_sealed(case: ComplaintCase) -> str | None:
    """The hash the timeline last promised (latest FILED or AMENDED event), if any."""
    return _last_seal(case).get("record_sha256")


def record_intact(case: ComplaintCase) -> bool:
    """Whether the record is the one the timeline last sealed, over the fields that seal
    covered (True when nothing was sealed yet). An unknown version is not intact."""
    seal = _last_seal(case)
    sealed = seal.get("record_sha256")
    if sealed is None:
        return True
    version = seal.get("record_version", 1)
    return version in SEALS and sealed == record_hash_of(case, version)


def record_value(case: ComplaintCase, field: str) -> Any:
    """The current value of an amendable ``field`` ("description", "order.amount", ...)."""
    if field.startswith("order."):
        return getattr(case.order, field.removeprefix("order."))
    return getattr(case, field)


def field_label(field: str) -> str:
    """The field's name as the forms and documents call it (its model's verbose name)."""
    model: Any = Order if field.startswith("order.") else ComplaintCase
    return str(model._meta.get_field(field.removeprefix("order.")).verbose_name)


def value_words(field: str, text: str) -> str:
    """A value the timeline stored for ``field`` (``value_text``), as a person reads it:
    a code's label in the active language, any other text as it is."""
    choices = CHOICE_FIELDS.get(field.removeprefix("order."))
    if choices is not None and text in choices.values:
        return str(choices(text).label)
    return text


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
