"""Outgoing webhooks: case events, signed, sent to the parties of each case, retried.

Deliveries are queued when the events happen, in the transaction that writes them: the
actions layer (casework) calls ``webhooks_queue`` with the events its action appended,
so an event committed is a delivery committed, and an event rolled back owes nothing.
The core's event writer (complaints/timeline.py) cannot call us (notifications sit
above the core), and a signal or an "events of this transaction" collector in the core
would be hidden global state that savepoint rollbacks make wrong; the actions are where
notifications are already decided (emails, in the same transaction), so webhooks are
decided there too. casework's ``case_writes`` wraps each action and queues every event
the action appended, whichever service below wrote it; the sweep, which bulk-inserts its
events, calls ``webhooks_queue`` with those events in its batch's transaction.

Each (endpoint, event) pair is a delivery row with its own due time, so one slow
receiver delays nobody else; they are sent by delivery.py's loop, the same as emails.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from complaints.errors import InvalidInput
from complaints.models import CaseEvent
from complaints.redaction import Recipient, redact_data

from . import delivery
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Kamen-Signature"
EVENT_HEADER = "X-Kamen-Event"
DELIVERY_HEADER = "X-Kamen-Delivery"
WEBHOOKS_TASK = "notifications.webhooks_send_due"  # notifications/tasks.py

# (url, body, headers, timeout) -> HTTP status code; raises OSError-like errors on failure.
Transport = Callable[[str, bytes, dict[str, str], float], int]


def webhook_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``: the receiver recomputes it
    and refuses old timestamps, so a captured delivery cannot be replayed later."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_verify(
    *, secret: str, header: str, body: bytes, now: datetime, tolerance_seconds: int = 300
) -> bool:
    """What a receiver does; used by the tests and offered to integrators as reference."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        return False
    expected = webhook_sign(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, header)


def webhook_endpoint_create(
    *,
    actor: Any,
    url: str,
    platform: Any = None,
    consumer_group: Any = None,
    description: str = "",
    now: datetime | None = None,
) -> WebhookEndpoint:
    if (platform is None) == (consumer_group is None):
        raise InvalidInput(
            fields={"platform": [_("Give either a platform or a consumer group, not both.")]}
        )
    endpoint = WebhookEndpoint(
        url=url.strip(),
        platform=platform,
        consumer_group=consumer_group,
        description=description,
        created_by=actor,
        created_at=now or timezone.now(),
    )
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields=exc.message_dict) from exc
    endpoint.save()
    return endpoint


# Payload values that are not free text: hashes prove which bytes were filed and are no
# secret; a watchdog's reference number is what the platform needs to find the filing.
_NOT_TEXT = frozenset({"sha256", "hash", "prev_hash", "reference"})


def _payload_masked(value: Any, *, keep: list[str], key: str = "") -> Any:
    """``value`` with card keys and personal numbers masked in every text in it."""
    return redact_data(value, recipient=Recipient.PLATFORM, keep=keep, not_text=_NOT_TEXT, key=key)


def event_body(event: CaseEvent, *, for_platform: bool) -> str:
    """The JSON a receiver gets. A platform is the other side of the dispute: what the
    complainant wrote reaches it with card keys (bearer secrets), phone, ID and account
    numbers masked; the order number stays, it names the dispute."""
    case = event.case
    payload = event.payload
    if for_platform:
        payload = _payload_masked(payload, keep=[case.order.order_number, case.reference])
    return json.dumps(
        {
            "id": event.pk,
            "type": f"case.{event.kind}",
            "created_at": event.created_at,
            "case": {
                "id": case.pk,
                "reference": case.reference,
                "status": case.status,
                "tier": case.tier,
                "platform": case.order.platform_id,
            },
            "event": {
                "seq": event.seq,
                "kind": event.kind,
                "payload": payload,
                "hash": event.hash,
                "prev_hash": event.prev_hash,
            },
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        sort_keys=True,
    )


def _endpoints_for(event: CaseEvent, endpoints: list[WebhookEndpoint]) -> list[WebhookEndpoint]:
    case = event.case
    group_ids = {g.pk for g in case.complainant.groups.all()}
    return [
        e
        for e in endpoints
        if e.created_at <= event.created_at  # a new endpoint gets no history
        and (
            (e.platform_id is not None and e.platform_id == case.order.platform_id)
            or (e.consumer_group_id is not None and e.consumer_group_id in group_ids)
        )
    ]


def webhooks_queue(
    events: Iterable[CaseEvent | int] | QuerySet[CaseEvent], *, now: datetime | None = None
) -> int:
    """Write the deliveries owed for ``events`` in the caller's transaction; returns how many.

    One row per (active endpoint whose party is in the event's case, event): a platform's
    endpoint gets its cases' events with card keys and personal numbers masked, a
    consumer group's endpoint gets its members' cases' events whole, and an endpoint
    created after an event gets nothing for it. A delivery is due from its event's time.
    Calling twice for the same events is harmless: the (endpoint, event) pair is unique
    and repeats are dropped. A worker is kicked after commit.
    """
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    if not endpoints:
        return 0
    if not isinstance(events, QuerySet):
        ids = [e if isinstance(e, int) else e.pk for e in events]
        if not ids:
            return 0
        events = CaseEvent.objects.filter(pk__in=ids)
    events = events.select_related("case__order", "case__complainant").prefetch_related(
        "case__complainant__groups"
    )
    now = now or timezone.now()
    rows = []
    for event in events.order_by("pk"):
        targets = _endpoints_for(event, endpoints)
        bodies = {
            for_platform: event_body(event, for_platform=for_platform)
            for for_platform in {e.platform_id is not None for e in targets}
        }
        rows += [
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                body=bodies[endpoint.platform_id is not None],
                next_attempt_at=event.created_at,
                created_at=now,
            )
            for endpoint in targets
        ]
    if rows:
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        delivery.kick(WEBHOOKS_TASK, webhooks_send_batch)
    return len(rows)


def requests_transport(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    import requests

    response = requests.post(url, data=body, headers=headers, timeout=timeout)
    return response.status_code


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base, ... capped at a day."""
    return delivery.backoff_doubling(
        attempts, base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS, max_seconds=24 * 3600
    )


def claim_lease() -> timedelta:
    """How long a claimed delivery is left alone before another drain may try it again."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)


def _post(transport: Transport) -> Callable[[WebhookDelivery, datetime], delivery.Attempt]:
    """Each attempt is signed afresh with its own timestamp; 2xx delivers it."""

    def send(row: WebhookDelivery, now: datetime) -> delivery.Attempt:
        body = row.body.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: webhook_sign(
                secret=row.endpoint.secret, timestamp=int(now.timestamp()), body=body
            ),
            EVENT_HEADER: json.loads(row.body).get("type", ""),
            DELIVERY_HEADER: str(row.pk),
        }
        try:
            status_code = transport(
                row.endpoint.url, body, headers, settings.WEBHOOK_TIMEOUT_SECONDS
            )
        except Exception as exc:  # any failure of the receiver means: retry later
            return delivery.Attempt(
                ok=False, error=f"{type(exc).__name__}: {exc}", fields={"last_status_code": None}
            )
        return delivery.Attempt(
            ok=200 <= status_code < 300, fields={"last_status_code": status_code}
        )

    return send


WEBHOOKS = delivery.Channel(
    name="webhooks",
    model=WebhookDelivery,
    pending=Q(status=DeliveryStatus.PENDING),
    send=_post(requests_transport),
    done=lambda now: {
        "status": DeliveryStatus.DELIVERED,
        "delivered_at": now,
        "next_attempt_at": None,
    },
    given_up=lambda now: {"status": DeliveryStatus.FAILED, "next_attempt_at": None},
    max_attempts=lambda: settings.WEBHOOK_MAX_ATTEMPTS,
    backoff=retry_delay,
    lease=claim_lease,
    error_length=500,
    select_related=("endpoint",),
)


def webhooks_send_batch(
    *, now: datetime | None = None, transport: Transport | None = None, limit: int | None = None
) -> delivery.Drained:
    """One bounded drain of due deliveries (``OUTBOX_BATCH_SIZE`` unless ``limit``).

    At least once: a worker dying mid-send leaves a claim that expires, and the delivery
    is sent again, so receivers dedupe by ``X-Kamen-Delivery``. After
    WEBHOOK_MAX_ATTEMPTS failures it is marked failed and stays in the admin log.
    """
    transport = transport or import_string(settings.WEBHOOK_TRANSPORT)
    channel = replace(WEBHOOKS, send=_post(transport))
    return delivery.drain(channel, now=now, limit=limit)


def webhooks_send_due(*, now: datetime | None = None, transport: Transport | None = None) -> int:
    """Attempt the deliveries whose time has come (one batch); returns how many were tried."""
    return webhooks_send_batch(now=now, transport=transport).attempted


def webhook_deliveries_retry(*, deliveries: Any, now: datetime | None = None) -> int:
    """Queue deliveries again (failed ones too), for staff after a receiver was fixed."""
    now = now or timezone.now()
    count = deliveries.exclude(status=DeliveryStatus.DELIVERED).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=0
    )
    if count:
        delivery.kick(WEBHOOKS_TASK, webhooks_send_batch)
    return count
