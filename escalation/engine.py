"""The sweep: finding overdue stages and escalating each exactly once, in batches.

Claims case rows with SKIP LOCKED (lock order as everywhere: the case row, then its
stage), re-reads the stages after locking and closes a stage only while it is still open,
so any number of concurrent sweeps escalate each overdue stage once. Each batch writes its
stages, timeline events and outbox emails in one transaction: a killed worker leaves no
case half-escalated, and a broker that is down loses nothing.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import BooleanField, Model, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from complaints.bulk import db_datetime, db_json, insert_rows
from complaints.choices import OPEN_STATUSES, EventKind
from complaints.errors import ConcurrentChange, InvalidInput, InvalidTransition
from complaints.models import CaseEvent, ComplaintCase
from complaints.tiers import tier_next
from complaints.timeline import (
    canonical_at,
    canonical_payload,
    event_hash,
)
from notifications.models import OutboxEmail
from notifications.outbox import outbox_kick

from . import messages
from .calendar import calendar_current
from .deadlines import (
    PolicyTerms,
    stage_deadlines,
    warn_at_for,
)
from .models import StageCloseReason, TierStage
from .services import policy_terms_all, warning_lead

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    escalated: int = 0
    flagged: int = 0
    warned: int = 0
    batches: int = 0
    planned: list[dict[str, Any]] = field(default_factory=list)


def _ids_in(model: type[Model], column: str, ids: list[int]) -> Q | RawSQL:
    """``column IN ids`` for the sweep's batches.

    Django prepares each value of an ``__in`` list through the field (a batch of 10,000
    ids costs tens of milliseconds per query); PostgreSQL takes the ids as one array.
    """
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        return RawSQL(  # noqa: S611 (identifiers from model metadata, ids bound)
            f"{qn(model._meta.db_table)}.{qn(column)} = ANY(%s::bigint[])",
            (list(ids),),
            output_field=BooleanField(),
        )
    return Q(**{f"{column}__in": ids})


def _claim_cases(*, now: datetime, limit: int, column: str) -> list[int]:
    """Lock up to ``limit`` cases with a stage due by ``column``; rows others hold are skipped.

    On PostgreSQL this is ``FOR UPDATE OF case SKIP LOCKED``: concurrent sweeps split the
    work instead of queueing on each other. SQLite serialises writers instead.
    """
    lookups = {
        "status__in": OPEN_STATUSES,
        "stages__closed_at__isnull": True,
        "stages__paused_at__isnull": True,
        f"stages__{column}__lte": now,
    }
    if column == "warn_at":
        lookups["stages__next_due_at__gt"] = now
    cases = ComplaintCase.objects.filter(**lookups)
    if connection.features.has_select_for_update_skip_locked:
        cases = cases.select_for_update(skip_locked=True, of=("self",))
    return list(cases.order_by(f"stages__{column}").values_list("pk", flat=True)[:limit])


class _LastEvent(NamedTuple):
    seq: int
    hash: str


def _last_events(case_ids: Iterable[int]) -> dict[int, Any]:
    """The newest event of each case (its seq and hash), for chaining onto under the lock."""
    events = CaseEvent.objects.filter(_ids_in(CaseEvent, "case_id", list(case_ids)))
    if connection.vendor == "postgresql":
        # DISTINCT ON walks the (case, seq) unique index once per case.
        rows = events.order_by("case_id", "-seq").distinct("case_id")
    else:
        latest = CaseEvent.objects.filter(case_id=OuterRef("case_id")).order_by("-seq")
        rows = events.filter(seq=Subquery(latest.values("seq")[:1]))
    rows = rows.values_list("case_id", "seq", "hash")
    return {case_id: _LastEvent(seq, hash_) for case_id, seq, hash_ in rows}


def _language() -> str:
    return settings.LANGUAGE_CODE


OUTBOX_COLUMNS = (
    "dedupe_key",
    "case_id",
    "to",
    "subject",
    "body",
    "html",
    "template",
    "context",
    "created_at",
    "next_attempt_at",
    "attempts",
    "last_error",
)
EVENT_COLUMNS = (
    "case_id",
    "seq",
    "kind",
    "actor_id",
    "created_at",
    "payload",
    "prev_hash",
    "hash",
)
STAGE_COLUMNS = (
    "case_id",
    "tier",
    "opened_at",
    "first_response_due_at",
    "update_due_at",
    "resolution_due_at",
    "next_due_at",
    "warn_at",
    "terms",
    "update_anchor_at",
    "external_reference",
    "close_reason",
    "provisional_from",
)


def _notification(
    *, key: str, case_id: int, to: str | None, template: str, now: Any, **context: Any
) -> tuple[Any, ...] | None:
    """An outbox row (in database form) rendered from the case when it is sent."""
    if not to:
        return None
    ctx = _context_json(case_id, _language(), context)
    return (
        key,
        case_id,
        "[" + encode_basestring(to) + "]",
        "",
        "",
        "",
        template,
        ctx,
        now,
        now,
        0,
        "",
    )


def _context_json(case_id: int, language: str, context: dict[str, Any]) -> str:
    """``db_json({"case": case_id, "language": language, **context})``, with the part after
    the case id encoded once per distinct context (a sweep repeats a handful)."""
    try:
        key: Any = (language, *context.items())
        tail = _CONTEXT_TAILS.get(key)
    except TypeError:  # a list in the context: not cached
        key, tail = None, None
    if tail is None:
        if "case" in context:
            return db_json({"case": case_id, "language": language, **context})
        tail = db_json({"language": language, **context})[1:]
        if key is not None and len(_CONTEXT_TAILS) < 1024:
            _CONTEXT_TAILS[key] = tail
    return '{"case":' + int.__repr__(case_id) + "," + tail


_CONTEXT_TAILS: dict[Any, str] = {}


class _ChainWriter:
    """Event rows (database form) chained onto each case's last event, without model instances.

    The hash is ``complaints.timeline.event_hash``: the same bytes as
    ``CaseEvent.canonical_content``, with the instant and each distinct payload encoded once.
    """

    def __init__(self, *, now: datetime, actor_id: int | None) -> None:
        self.actor_id = actor_id
        self.created_at = db_datetime(now)
        self.at = canonical_at(now)
        self.payloads: dict[Any, tuple[str, str]] = {}

    def row(
        self, *, case_id: int, last: _LastEvent | None, kind: str, payload: dict[str, Any]
    ) -> tuple[Any, ...]:
        try:
            key: Any = tuple(payload.items())
            encoded = self.payloads.get(key)
        except TypeError:  # a list in the payload: not cached
            key, encoded = None, None
        if encoded is None:
            encoded = (canonical_payload(payload), db_json(payload))
            if key is not None:
                self.payloads[key] = encoded
        seq, prev = (last.seq + 1, last.hash) if last else (1, "")
        hash_ = event_hash(
            case_id=case_id,
            seq=seq,
            kind=kind,
            actor_id=self.actor_id,
            at=self.at,
            payload=encoded[0],
            prev=prev,
        )
        return (case_id, seq, kind, self.actor_id, self.created_at, encoded[1], prev, hash_)


def _user_emails(user_ids: Iterable[int | None]) -> dict[int, str]:
    User = get_user_model()
    wanted = {pk for pk in user_ids if pk}
    return dict(User.objects.filter(pk__in=wanted).values_list("pk", "email"))


def _escalate_claimed(
    *,
    case_ids: list[int],
    now: datetime,
    terms_by_key: dict[tuple[str, str], PolicyTerms],
    actor: Any = None,
    due_only: bool = True,
) -> tuple[int, int]:
    """Escalate the open stages of cases whose rows the caller has locked.

    Set-based: a fixed number of queries per batch whatever its size. Each write is
    conditional on the stage still being open, so a repeated attempt changes nothing.
    """
    stages_qs = TierStage.objects.filter(
        _ids_in(TierStage, "case_id", case_ids),
        closed_at__isnull=True,
        case__status__in=OPEN_STATUSES,
    )
    if due_only:
        stages_qs = stages_qs.filter(paused_at__isnull=True, next_due_at__lte=now)
    # One query for the stages, their cases and the recipients' addresses.
    stages = list(
        stages_qs.values_list(
            "pk",
            "case_id",
            "tier",
            "next_due_at",
            "case__urgency",
            "case__complainant__email",
            "case__assigned_to_id",
            "case__assigned_to__email",
        )
    )
    if not stages:
        return 0, 0
    cases = [row[1] for row in stages]
    last_events = _last_events(cases)
    reason = StageCloseReason.ESCALATED_BY_STAFF if actor else StageCloseReason.EXPIRED
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    at = db_datetime(now)
    chain = _ChainWriter(now=now, actor_id=actor_id)
    lead = warning_lead()
    stage_values: dict[tuple[str, str], tuple[Any, ...]] = {}
    close_ids: list[int] = []
    flag_stage_ids: list[int] = []
    flag_case_ids: list[int] = []
    to_tier: dict[str, list[int]] = defaultdict(list)
    new_stages: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    mails: list[tuple[Any, ...] | None] = []
    for row in stages:
        stage_id, case_id, tier, due_at, urgency, to_complainant, assigned_to_id, to_staff = row
        nxt = tier_next(tier)
        if nxt is None:
            check_in = (due_at or now).isoformat()  # each check-in reminds once
            flag_stage_ids.append(stage_id)
            flag_case_ids.append(case_id)
            events.append(
                chain.row(
                    case_id=case_id,
                    last=last_events.get(case_id),
                    kind=EventKind.LADDER_EXHAUSTED,
                    payload={"tier": tier},
                )
            )
            mails.append(
                _notification(
                    key=f"ladder-end:{stage_id}:{check_in}:complainant",
                    case_id=case_id,
                    to=to_complainant,
                    template="ladder_end",
                    now=at,
                )
            )
            if assigned_to_id:
                mails.append(
                    _notification(
                        key=f"ladder-end:{stage_id}:{check_in}:staff",
                        case_id=case_id,
                        to=to_staff,
                        template="ladder_end_staff",
                        now=at,
                    )
                )
        else:
            close_ids.append(stage_id)
            to_tier[nxt].append(case_id)
            key = (nxt, urgency)
            if key not in stage_values:
                terms = terms_by_key[key]
                d = stage_deadlines(terms=terms, opened_at=now, calendar=calendar_current())
                warn_at = warn_at_for(d.next_due_at, now=now, lead=lead)
                stage_values[key] = (
                    str(nxt),
                    at,
                    db_datetime(d.first_response_due_at),
                    db_datetime(d.update_due_at),
                    db_datetime(d.resolution_due_at),
                    db_datetime(d.next_due_at),
                    db_datetime(warn_at),
                    db_json(terms.as_json()),
                    at,
                    "",
                    "",
                    d.provisional_from.isoformat() if d.provisional_from else None,
                )
            new_stages.append((case_id, *stage_values[key]))
            events.append(
                chain.row(
                    case_id=case_id,
                    last=last_events.get(case_id),
                    kind=EventKind.ESCALATED,
                    payload={"from_tier": tier, "to_tier": str(nxt), "reason": str(reason)},
                )
            )
            mails.append(
                _notification(
                    key=f"escalated:{case_id}:{nxt}",
                    case_id=case_id,
                    to=to_complainant,
                    template="escalated",
                    now=at,
                    tier=str(nxt),
                )
            )
    if close_ids:
        closed = TierStage.objects.filter(
            _ids_in(TierStage, "id", close_ids), closed_at__isnull=True
        ).update(closed_at=now, close_reason=reason, next_due_at=None, warn_at=None)
        if closed != len(close_ids):
            raise ConcurrentChange()
        for tier, ids in to_tier.items():
            ComplaintCase.objects.filter(_ids_in(ComplaintCase, "id", ids)).update(
                tier=tier, updated_at=now
            )
        insert_rows(TierStage._meta.db_table, STAGE_COLUMNS, new_stages)
    if flag_stage_ids:
        TierStage.objects.filter(pk__in=flag_stage_ids).update(next_due_at=None, warn_at=None)
        ComplaintCase.objects.filter(pk__in=flag_case_ids).update(
            needs_staff_attention=True, updated_at=now
        )
    insert_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, events)
    insert_rows(
        OutboxEmail._meta.db_table,
        OUTBOX_COLUMNS,
        [m for m in mails if m is not None],
        ignore_conflicts_on="dedupe_key",
    )
    return len(close_ids), len(flag_stage_ids)


def _warn_claimed(*, case_ids: list[int], now: datetime) -> int:
    """Queue the deadline warnings of claimed cases; the stage's warn_at is then cleared."""
    stages = list(
        TierStage.objects.filter(
            case_id__in=case_ids,
            closed_at__isnull=True,
            paused_at__isnull=True,
            warn_at__lte=now,
            next_due_at__gt=now,
            case__status__in=OPEN_STATUSES,
        ).select_related("case")
    )
    if not stages:
        return 0
    emails = _user_emails(
        [s.case.complainant_id for s in stages] + [s.case.assigned_to_id for s in stages]
    )
    last_events = _last_events([s.case_id for s in stages])
    at = db_datetime(now)
    chain = _ChainWriter(now=now, actor_id=None)
    events: list[tuple[Any, ...]] = []
    mails: list[tuple[Any, ...] | None] = []
    for stage in stages:
        case = stage.case
        clocks = [
            clock
            for clock in ("first_response", "update", "resolution")
            if getattr(stage, f"{clock}_due_at") == stage.next_due_at
        ]
        due = stage.next_due_at.isoformat()
        context = {"tier": stage.tier, "clocks": clocks, "due": due}
        events.append(
            chain.row(
                case_id=case.pk,
                last=last_events.get(case.pk),
                kind=EventKind.DEADLINE_WARNING,
                payload=context,
            )
        )
        for role, recipient, template in (
            ("complainant", case.complainant_id, "deadline_warning"),
            ("staff", case.assigned_to_id, "deadline_warning_staff"),
        ):
            mails.append(
                _notification(
                    key=f"warn:{stage.pk}:{due}:{role}",
                    case_id=case.pk,
                    to=emails.get(recipient) if recipient else None,
                    template=template,
                    now=at,
                    **context,
                )
            )
    TierStage.objects.filter(pk__in=[s.pk for s in stages]).update(warn_at=None)
    insert_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, events)
    insert_rows(
        OutboxEmail._meta.db_table,
        OUTBOX_COLUMNS,
        [m for m in mails if m is not None],
        ignore_conflicts_on="dedupe_key",
    )
    return len(stages)


def sweep_plan(*, now: datetime, limit: int = 10_000) -> list[dict[str, Any]]:
    """What a sweep at ``now`` would escalate, read without locks and without changes."""
    stages = (
        TierStage.objects.filter(
            closed_at__isnull=True,
            paused_at__isnull=True,
            next_due_at__lte=now,
            case__status__in=OPEN_STATUSES,
        )
        .order_by("next_due_at")
        .values("case__reference", "tier", "next_due_at")[:limit]
    )
    return [
        {
            "case": row["case__reference"],
            "tier": row["tier"],
            "next_tier": tier_next(row["tier"]),
            "due": row["next_due_at"],
        }
        for row in stages
    ]


def _escalate_batch(
    *, now: datetime, batch_size: int, terms: dict[tuple[str, str], PolicyTerms], into: SweepResult
) -> int:
    """One transaction: claim up to ``batch_size`` overdue cases and escalate them."""
    with transaction.atomic():
        case_ids = _claim_cases(now=now, limit=batch_size, column="next_due_at")
        if not case_ids:
            return 0
        if not terms:  # read once per sweep, and only when something is due
            terms.update(policy_terms_all())
        escalated, flagged = _escalate_claimed(case_ids=case_ids, now=now, terms_by_key=terms)
    into.batches += 1
    into.escalated += escalated
    into.flagged += flagged
    return len(case_ids)


def _escalate_until_done(
    *, now: datetime, batch_size: int, terms: dict[tuple[str, str], PolicyTerms], into: SweepResult
) -> None:
    while _escalate_batch(now=now, batch_size=batch_size, terms=terms, into=into) == batch_size:
        pass


def _escalate_in_thread(
    *, now: datetime, batch_size: int, terms: dict[tuple[str, str], PolicyTerms]
) -> SweepResult:
    """A helper sweeping on its own connection, like a second worker would."""
    result = SweepResult()
    try:
        _escalate_until_done(now=now, batch_size=batch_size, terms=terms, into=result)
    finally:
        connection.close()
    return result


def _sweep_helpers(workers: int | None) -> int:
    """Extra threads for a big sweep: the work is mostly PostgreSQL's, and a second backend
    uses the second core. Skip-locked claiming already splits batches between concurrent
    sweeps; a helper is one more of them. Not inside a caller's transaction (a helper could
    not see its rows), and not on SQLite (one writer at a time)."""
    workers = workers or settings.ESCALATION_SWEEP_WORKERS
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 0
    return max(0, workers - 1)


def sweep_overdue(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    workers: int | None = None,
) -> SweepResult:
    """Escalate every overdue stage once, then queue the warnings of clocks about to run out.

    Each batch is one transaction: claim case rows (skip locked), escalate their overdue
    stages, append their events and queue their emails. A worker killed mid-sweep loses
    only its open batch, whose rows the next sweep claims again: no case is ever half
    escalated, and concurrent sweeps never escalate the same stage twice. When the first
    batch comes back full, ``workers - 1`` helper threads (setting
    ``ESCALATION_SWEEP_WORKERS``, default 2) sweep alongside on their own connections.
    """
    now = now or timezone.now()
    result = SweepResult()
    if dry_run:
        result.planned = sweep_plan(now=now)
        return result
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    terms_by_key: dict[tuple[str, str], PolicyTerms] = {}
    claimed = _escalate_batch(now=now, batch_size=batch_size, terms=terms_by_key, into=result)
    if claimed == batch_size:  # more may be due: go on, on both cores where possible
        helpers = _sweep_helpers(workers)
        with ThreadPoolExecutor(max_workers=max(helpers, 1)) as pool:
            futures = [
                pool.submit(_escalate_in_thread, now=now, batch_size=batch_size, terms=terms_by_key)
                for _ in range(helpers)
            ]
            _escalate_until_done(now=now, batch_size=batch_size, terms=terms_by_key, into=result)
            for future in futures:
                part = future.result()
                result.batches += part.batches
                result.escalated += part.escalated
                result.flagged += part.flagged
    while True:
        with transaction.atomic():
            case_ids = _claim_cases(now=now, limit=batch_size, column="warn_at")
            if not case_ids:
                break
            result.warned += _warn_claimed(case_ids=case_ids, now=now)
        if len(case_ids) < batch_size:
            break
    if result.escalated or result.flagged or result.warned:
        logger.info(
            "sweep: escalated %d, flagged %d, warned %d",
            result.escalated,
            result.flagged,
            result.warned,
        )
        outbox_kick()
    return result


def stage_escalate(*, stage_id: int, now: datetime, actor: Any = None) -> bool:
    """Escalate one open stage now, due or not; False if it is no longer open.

    Locks the case row and re-checks inside the transaction, so a second call (or a
    sweep in parallel) is a no-op.
    """
    stage = TierStage.objects.filter(pk=stage_id).only("case_id").first()
    if stage is None:
        return False
    with transaction.atomic():
        ComplaintCase.objects.select_for_update().filter(pk=stage.case_id).values_list("pk").get()
        if not TierStage.objects.filter(pk=stage_id, closed_at__isnull=True).exists():
            return False
        escalated, flagged = _escalate_claimed(
            case_ids=[stage.case_id],
            now=now,
            terms_by_key=policy_terms_all(),
            actor=actor,
            due_only=False,
        )
    return bool(escalated or flagged)


def case_escalate(*, case: ComplaintCase, actor: Any, now: datetime) -> TierStage:
    """Staff move the case to the next tier before its deadline; returns the new stage."""
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition()
    if tier_next(case.tier) is None:
        raise InvalidInput(fields={"tier": [str(messages.LAST_TIER)]})
    stage = TierStage.objects.filter(case=case, closed_at__isnull=True).first()
    if stage is None or not stage_escalate(stage_id=stage.pk, now=now, actor=actor):
        raise ConcurrentChange()
    case.refresh_from_db()
    outbox_kick()
    return TierStage.objects.get(case=case, closed_at__isnull=True)
