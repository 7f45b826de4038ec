"""Outgoing webhooks: case events, signed, sent to the parties of each case, retried.

Events are fanned out by scanning the timeline rather than by a signal: the timeline is
already the durable record, so an event committed is an event delivered, even if the
process that appended it died right after. Each (endpoint, event) pair is a delivery row
with its own due time, so one slow receiver delays nobody else.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.errors import InvalidInput
from complaints.models import CaseEvent
from complaints.redaction import Recipient, redact_data

from .models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookFanout,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Kamen-Signature"
EVENT_HEADER = "X-Kamen-Event"
DELIVERY_HEADER = "X-Kamen-Delivery"
FANOUT_BATCH = 500
SEND_BATCH = 100

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


def webhooks_fan_out(*, now: datetime | None = None) -> int:
    """Turn recent, not yet fanned-out events into deliveries; returns how many were made."""
    now = now or timezone.now()
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    if not endpoints:
        return 0
    since = now - timedelta(hours=settings.WEBHOOK_FANOUT_LOOKBACK_HOURS)
    events = (
        CaseEvent.objects.filter(created_at__gte=since, webhook_fanout__isnull=True)
        .select_related("case__order", "case__complainant")
        .prefetch_related("case__complainant__groups")
        .order_by("pk")[:FANOUT_BATCH]
    )
    made = 0
    for event in events:
        try:
            with transaction.atomic():
                WebhookFanout.objects.create(event=event, at=now)
                targets = _endpoints_for(event, endpoints)
                if targets:
                    bodies = {
                        for_platform: event_body(event, for_platform=for_platform)
                        for for_platform in {e.platform_id is not None for e in targets}
                    }
                    WebhookDelivery.objects.bulk_create(
                        [
                            WebhookDelivery(
                                endpoint=endpoint,
                                event=event,
                                body=bodies[endpoint.platform_id is not None],
                                next_attempt_at=now,
                                created_at=now,
                            )
                            for endpoint in targets
                        ],
                        ignore_conflicts=True,
                    )
                    made += len(targets)
        except IntegrityError:
            continue  # another fan-out took this event
    return made


def requests_transport(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    import requests

    response = requests.post(url, data=body, headers=headers, timeout=timeout)
    return response.status_code


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base, ... capped at a day."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, 24 * 3600))


def claim_lease() -> timedelta:
    """How long a claimed delivery is left alone before another sweep may try it again."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)


def webhook_deliver(
    *, delivery_id: int, now: datetime | None = None, transport: Transport | None = None
) -> str:
    """Send one due delivery: claim it, POST it outside any transaction, record the result.

    The claim (attempt count up, next attempt pushed past a lease) is committed before the
    request, so a second sweep skips it and no row lock is held while a slow receiver
    answers. A worker that dies mid-send leaves a claim that expires, and the delivery is
    sent again: at least once, so receivers dedupe by ``X-Kamen-Delivery``. A 2xx answer
    delivers it; anything else schedules the next attempt with backoff until
    WEBHOOK_MAX_ATTEMPTS, when it is marked failed and stays in the admin log.
    """
    now = now or timezone.now()
    transport = transport or requests_transport
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return "skipped"
        attempt = delivery.attempts + 1
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempt, next_attempt_at=now + claim_lease()
        )

    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: webhook_sign(
            secret=delivery.endpoint.secret, timestamp=int(now.timestamp()), body=body
        ),
        EVENT_HEADER: json.loads(delivery.body).get("type", ""),
        DELIVERY_HEADER: str(delivery.pk),
    }
    error = ""
    status_code = None
    try:
        status_code = transport(
            delivery.endpoint.url, body, headers, settings.WEBHOOK_TIMEOUT_SECONDS
        )
    except Exception as exc:  # any failure of the receiver means: retry later
        error = f"{type(exc).__name__}: {exc}"[:500]

    outcome: dict[str, Any] = {"last_status_code": status_code, "last_error": error}
    if status_code is not None and 200 <= status_code < 300:
        outcome.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif attempt >= settings.WEBHOOK_MAX_ATTEMPTS:
        outcome.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        logger.warning("webhook delivery %s failed for good", delivery.pk)
    else:
        outcome.update(next_attempt_at=now + retry_delay(attempt))
    WebhookDelivery.objects.filter(
        pk=delivery.pk, attempts=attempt, status=DeliveryStatus.PENDING
    ).update(**outcome)
    return str(outcome.get("status", DeliveryStatus.PENDING))


def webhooks_send_due(*, now: datetime | None = None, transport: Transport | None = None) -> int:
    """Fan out new events, then attempt every delivery whose time has come."""
    now = now or timezone.now()
    webhooks_fan_out(now=now)
    due = (
        WebhookDelivery.objects.filter(Q(status=DeliveryStatus.PENDING), next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SEND_BATCH]
    )
    sent = 0
    for delivery_id in list(due):
        if webhook_deliver(delivery_id=delivery_id, now=now, transport=transport) != "skipped":
            sent += 1
    return sent


def webhook_deliveries_retry(*, deliveries: Any, now: datetime | None = None) -> int:
    """Queue deliveries again (failed ones too), for staff after a receiver was fixed."""
    now = now or timezone.now()
    return deliveries.exclude(status=DeliveryStatus.DELIVERED).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=0
    )
