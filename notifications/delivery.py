"""The one delivery loop for everything the outbox holds: emails and webhook deliveries.

Emails (``OutboxEmail``) and webhook deliveries (``WebhookDelivery``) stay two tables:
their payloads and uniqueness differ (a dedupe key and a rendered template against an
(endpoint, event) pair with a signed body), and the sweep bulk-inserts emails by column,
so a merged table would carry half-empty columns for each channel. What they share is how
a row travels, and that lives here once, described per table by a ``Channel``:

1. **Claim**: in a short transaction, the oldest due row is locked with SKIP LOCKED, its
   attempt count goes up and ``next_attempt_at`` moves past a lease counted from the
   time of the claim (not the drain's ``now``, which may be long past); then it commits.
   A second drain skips it (locked, then no longer due), and no row lock is held while
   it is sent.
2. **Send** outside any transaction: SMTP or HTTP may take seconds, and a slow receiver
   must not hold locks or keep a transaction open.
3. **Record** with a conditional update (same attempt count, still pending): a late
   answer from a claim that expired and was taken over cannot overwrite the newer try.
   Success marks the row done; failure schedules the next attempt with exponential
   backoff, and after the last attempt the row is marked given up and waits for staff
   (the admin's requeue action).

A worker that dies between claim and record leaves a claim that expires after the lease,
and the row is tried again. Webhooks are delivered at least once and carry an
``X-Kamen-Delivery`` id for receivers to drop repeats. Emails are sent exactly once where
the receiver allows it: the channel's ``send`` commits the mail server's acceptance on
the row before returning (outbox.py), and a retry of an accepted row records it sent
without sending; only a crash between the server's reply and that write sends twice,
with the Message-ID fixed per dedupe key, so the receiving server can drop the repeat.

A drain is bounded (``OUTBOX_BATCH_SIZE`` rows) and tells whether it stopped at the limit
with due rows left; the Celery task then re-enqueues itself. Within a drain, claims take
the most recently due row and the longest due one in turn, so a new row is sent by the
first drain that starts after it is queued, whatever the backlog, and the backlog drains
at half the rate or more.
Delivery only ever runs in a Celery task (in-process when Celery is eager, in tests),
never in a request.
"""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """How one send went: ``ok``, and what to keep about it on the row."""

    ok: bool
    error: str = ""
    fields: Mapping[str, Any] | None = None  # channel-specific, e.g. the HTTP status


@dataclass(frozen=True)
class Channel:
    """One table of the outbox, as the delivery loop sees it.

    ``pending`` selects rows neither done nor given up; ``done`` and ``given_up`` are
    the field values that leave that set. ``send`` runs outside any transaction and
    either returns an ``Attempt`` or raises (which counts as a failed attempt).
    """

    name: str
    model: type[models.Model]
    pending: models.Q
    send: Callable[[Any, datetime], Attempt]
    done: Callable[[datetime], dict[str, Any]]
    given_up: Callable[[datetime], dict[str, Any]]
    max_attempts: Callable[[], int]
    backoff: Callable[[int], timedelta]
    lease: Callable[[], timedelta]
    error_length: int = 2000
    select_related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drained:
    """What one bounded drain did. ``more``: it stopped at its limit with rows still due."""

    attempted: int = 0
    delivered: int = 0
    more: bool = False


def backoff_doubling(attempts: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """base, 2×base, 4×base, ... after the 1st, 2nd, 3rd failed attempt; capped."""
    seconds = base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, max_seconds))


def batch_size() -> int:
    return int(settings.OUTBOX_BATCH_SIZE)


def _due(channel: Channel, now: datetime, pks: list[int] | None) -> models.QuerySet[Any]:
    rows = channel.model._default_manager.filter(channel.pending, next_attempt_at__lte=now)
    if pks is not None:
        rows = rows.filter(pk__in=pks)
    return rows


def _claim(
    channel: Channel, now: datetime, pks: list[int] | None, *, newest: bool = False
) -> tuple[Any, int] | None:
    """Take the oldest (or, with ``newest``, the most recently due) due row for one
    attempt; committed before anything is sent.

    The lease runs from the clock's time of the claim (or ``now``, if later): ``now`` may
    be long past by then, a sweep's moment carried by a task that waited in the queue or
    the start of a drain of slow sends, and a lease counted from it would already have
    run out, for another drain to take the row and send it again."""
    order = ("-next_attempt_at", "-pk") if newest else ("next_attempt_at", "pk")
    with transaction.atomic():
        row = (
            _due(channel, now, pks)
            .select_related(*channel.select_related)
            .order_by(*order)
            .select_for_update(skip_locked=True, of=("self",))
            .first()
        )
        if row is None:
            return None
        attempt = row.attempts + 1
        channel.model._default_manager.filter(pk=row.pk).update(
            attempts=attempt, next_attempt_at=max(now, timezone.now()) + channel.lease()
        )
    row.attempts = attempt
    return row, attempt


def _attempt(channel: Channel, row: Any, now: datetime) -> Attempt:
    try:
        return channel.send(row, now)
    except Exception as exc:  # SMTP, HTTP, template and network errors alike: retry later
        return Attempt(ok=False, error=f"{type(exc).__name__}: {exc}")


def _record(channel: Channel, row: Any, attempt: int, result: Attempt, now: datetime) -> None:
    outcome: dict[str, Any] = {"last_error": result.error[: channel.error_length]}
    if result.ok:
        outcome.update(channel.done(now))
    elif attempt >= channel.max_attempts():
        outcome.update(channel.given_up(now))
        logger.error("%s: gave up on %s: %s", channel.name, row, result.error)
    else:
        outcome["next_attempt_at"] = now + channel.backoff(attempt)
    outcome.update(result.fields or {})  # the attempt's own, e.g. when it really was sent
    channel.model._default_manager.filter(channel.pending, pk=row.pk, attempts=attempt).update(
        **outcome
    )


def drain(
    channel: Channel,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    pks: list[int] | None = None,
) -> Drained:
    """Attempt up to ``limit`` due rows of ``channel``, one at a time, taking the most
    recently due and the longest due in turn.

    The newest first, then the oldest, then the newest again: a new email (a filing
    receipt) is the first thing a drain sends, however long the backlog of old ones, and
    the backlog still gets every other claim, so neither end can starve the other.

    Must be called outside a transaction in production (a Celery task), so that each
    claim commits before its send; inside one (tests without transactional databases)
    it still behaves, with savepoints for claims. A row failed in this drain is due
    only after its backoff, so a drain with a fixed ``now`` ends.
    """
    now = now or timezone.now()
    limit = batch_size() if limit is None else limit
    attempted = delivered = 0
    while attempted < limit:
        claimed = _claim(channel, now, pks, newest=attempted % 2 == 0)
        if claimed is None:
            return Drained(attempted=attempted, delivered=delivered, more=False)
        row, attempt = claimed
        result = _attempt(channel, row, now)
        _record(channel, row, attempt, result, now)
        attempted += 1
        delivered += int(result.ok)
    return Drained(attempted=attempted, delivered=delivered, more=_due(channel, now, pks).exists())


def kick(task_name: str, run_in_process: Callable[[], Drained]) -> None:
    """Ask a worker to run ``task_name`` once the current transaction commits.

    With Celery eager (tests) the drain runs in-process instead, batch after batch, as a
    worker re-enqueueing itself would. A failed publish is retried a few times with a
    short doubling pause (``ESCALATION_OUTBOX_KICK_ATTEMPTS``: a blip in the broker is the
    common case); if the broker stays down the kick is dropped with a warning: the rows
    are safe in the database and the beat drains every row that is due, however old.
    """

    def send() -> None:
        if current_app.conf.task_always_eager:
            while run_in_process().more:
                pass
            return
        attempts = max(settings.ESCALATION_OUTBOX_KICK_ATTEMPTS, 1)
        pause = settings.ESCALATION_OUTBOX_KICK_PAUSE_SECONDS
        for attempt in range(1, attempts + 1):
            try:
                # No reconnection loop of kombu's own: the retries here are bounded.
                with current_app.connection_for_write(transport_options={"max_retries": 0}) as conn:
                    current_app.send_task(task_name, retry=False, connection=conn)
                return
            except Exception:  # the broker's errors vary by transport
                if attempt == attempts:
                    logger.warning(
                        "could not reach the broker after %s attempts; %s runs at the next beat",
                        attempts,
                        task_name,
                    )
                    return
                time.sleep(pause * 2 ** (attempt - 1))

    transaction.on_commit(send)
