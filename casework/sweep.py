"""The sweep: batches of the escalation engine, and the emails they owe, in one transaction.

One batch = one transaction: claim case rows (skip locked), let the engine escalate or
warn them, queue the notifications its records call for. A worker killed mid-batch
leaves nothing half done (the next batch claims those cases again), concurrent batches
never escalate a stage twice, and a broker that is down loses no email: the outbox rows
commit with the escalation. A staff escalation is a batch of one through the same
engine (``case_escalate``).

Any number of processes may run batches at once (casework/tasks.py fans them out over
Celery workers); ``sweep_overdue`` runs them one after another in-process.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.choices import OPEN_STATUSES
from complaints.errors import ConcurrentChange, InvalidTransition, StateConflict
from complaints.models import CaseEvent, ComplaintCase
from complaints.tiers import Tier, tier_next
from escalation import engine, messages
from escalation.deadlines import PolicyTerms
from escalation.engine import Escalated, FilingReminded, FulfilmentMissed, Warned
from escalation.models import TierStage
from escalation.services import policy_terms_all
from notifications.outbox import Notification, notifications_queue
from notifications.webhooks import webhooks_queue

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    escalated: int = 0
    flagged: int = 0
    warned: int = 0
    returned: int = 0  # accepted promises whose date passed: back on the ladder
    reminded: int = 0  # outside filings overdue: reminded, not escalated
    batches: int = 0
    case_ids: list[int] = field(default_factory=list)  # claimed, in claiming order
    planned: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: "SweepResult") -> None:
        self.escalated += other.escalated
        self.flagged += other.flagged
        self.warned += other.warned
        self.returned += other.returned
        self.reminded += other.reminded
        self.batches += other.batches
        self.case_ids += other.case_ids


def _context(case_id: int, **extra: Any) -> dict[str, Any]:
    """Rendered from the case when sent, in the recipient's language (the site's here)."""
    return {"case": case_id, "language": settings.LANGUAGE_CODE, **extra}


def escalation_notifications(records: Iterable[Escalated], *, now: datetime) -> list[Notification]:
    """The emails an escalation owes. Dedupe keys make each one once: per case and tier
    reached, and, at the last tier, per stage and check-in (each check-in reminds once)."""
    items: list[Notification] = []
    for r in records:
        if r.to_tier is not None:
            if r.complainant_email:
                items.append(
                    Notification(
                        dedupe_key=f"escalated:{r.case_id}:{r.to_tier}",
                        to=(r.complainant_email,),
                        case_id=r.case_id,
                        template="escalated",
                        context=_context(r.case_id, tier=r.to_tier),
                    )
                )
            continue
        check_in = (r.due_at or now).isoformat()
        if r.complainant_email:
            items.append(
                Notification(
                    dedupe_key=f"ladder-end:{r.stage_id}:{check_in}:complainant",
                    to=(r.complainant_email,),
                    case_id=r.case_id,
                    template="ladder_end",
                    context=_context(r.case_id),
                )
            )
        if r.assignee_id and r.assignee_email:
            items.append(
                Notification(
                    dedupe_key=f"ladder-end:{r.stage_id}:{check_in}:staff",
                    to=(r.assignee_email,),
                    case_id=r.case_id,
                    template="ladder_end_staff",
                    context=_context(r.case_id),
                )
            )
    return items


def warning_notifications(records: Iterable[Warned]) -> list[Notification]:
    """The complainant's and the assigned staff member's warning, once per stage and deadline."""
    items: list[Notification] = []
    for r in records:
        due = r.due_at.isoformat()
        context = _context(r.case_id, tier=r.tier, clocks=list(r.clocks), due=due)
        for role, to, template in (
            ("complainant", r.complainant_email, "deadline_warning"),
            ("staff", r.assignee_email if r.assignee_id else "", "deadline_warning_staff"),
        ):
            if to:
                items.append(
                    Notification(
                        dedupe_key=f"warn:{r.stage_id}:{due}:{role}",
                        to=(to,),
                        case_id=r.case_id,
                        template=template,
                        context=context,
                    )
                )
    return items


def _tally(records: list[Escalated], case_ids: list[int]) -> SweepResult:
    """The batch's outcome; ``case_ids`` are the cases it escalated or flagged.

    A claim can lock a case that a concurrent batch escalated and committed a moment
    before: under READ COMMITTED the locked case row is re-read, but the joined stage
    row comes from the statement's snapshot, so the closed stage still matched. The
    engine re-reads the stages after locking and finds nothing due for such a case, so
    it is left out here, and counted by the batch that escalated it.
    """
    flagged = sum(1 for r in records if r.to_tier is None)
    done = {r.case_id for r in records}
    return SweepResult(
        escalated=len(records) - flagged,
        flagged=flagged,
        batches=1,
        case_ids=[pk for pk in case_ids if pk in done],
    )


def _webhooks_for(
    records: Iterable[Escalated | Warned | FulfilmentMissed | FilingReminded], *, now: datetime
) -> None:
    """The webhook deliveries owed for the events the engine just wrote (same transaction)."""
    case_ids = sorted({r.case_id for r in records})
    if case_ids:
        webhooks_queue(CaseEvent.objects.filter(case_id__in=case_ids, created_at=now), now=now)


def sweep_batch(
    *,
    now: datetime,
    batch_size: int | None = None,
    terms: dict[tuple[str, str], PolicyTerms] | None = None,
) -> SweepResult:
    """One transaction: claim up to ``batch_size`` overdue cases, escalate, queue the emails.

    Returns an empty result (``batches == 0``) when nothing is left to claim. ``terms``
    lets a loop read the policies once instead of once per batch.
    """
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    with transaction.atomic():
        case_ids = engine.claim_due(now=now, limit=batch_size)
        if not case_ids:
            return SweepResult()
        records = engine.escalate_claimed(case_ids=case_ids, now=now, terms=terms)
        notifications_queue(escalation_notifications(records, now=now), now=now)
        _webhooks_for(records, now=now)
    return _tally(records, case_ids)


def warn_batch(*, now: datetime, batch_size: int | None = None) -> SweepResult:
    """One transaction: claim up to ``batch_size`` cases with a clock about to run out,
    record the warnings and queue their emails."""
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    with transaction.atomic():
        case_ids = engine.claim_warnings(now=now, limit=batch_size)
        if not case_ids:
            return SweepResult()
        records = engine.warn_claimed(case_ids=case_ids, now=now)
        notifications_queue(warning_notifications(records), now=now)
        _webhooks_for(records, now=now)
    return SweepResult(warned=len(records), batches=1, case_ids=case_ids)


def filing_reminder_notifications(records: Iterable[FilingReminded]) -> list[Notification]:
    """The complainant's reminder to file with the outside body and record it, once per stage.

    Written in the site's language: the outbox sends subject and body as they are.
    """
    items: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for r in records:
            if not r.complainant_email:
                continue
            reference = (
                ComplaintCase.objects.filter(pk=r.case_id).values_list("reference", flat=True).get()
            )
            tier = Tier(r.tier).label
            items.append(
                Notification(
                    dedupe_key=f"file-reminder:{r.stage_id}",
                    to=(r.complainant_email,),
                    case_id=r.case_id,
                    subject=_("Case %(ref)s: file with %(tier)s and record it")
                    % {"ref": reference, "tier": tier},
                    body=_(
                        "Your case %(ref)s is at %(tier)s. Its deadline only starts when you "
                        "file there: file with the document on your case page, then record "
                        "the date and the complaint number there. Until then nothing "
                        "escalates."
                    )
                    % {"ref": reference, "tier": tier},
                )
            )
    return items


def promises_batch(*, now: datetime, batch_size: int | None = None) -> SweepResult:
    """One transaction: claim up to ``batch_size`` cases whose accepted promise ran out and
    return them to the ladder (``engine.fulfilment_missed_claimed``)."""
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    with transaction.atomic():
        case_ids = engine.claim_fulfilment_due(now=now, limit=batch_size)
        if not case_ids:
            return SweepResult()
        records: list[FulfilmentMissed] = engine.fulfilment_missed_claimed(
            case_ids=case_ids, now=now
        )
        _webhooks_for(records, now=now)
    return SweepResult(returned=len(records), batches=1, case_ids=case_ids)


def reminders_batch(*, now: datetime, batch_size: int | None = None) -> SweepResult:
    """One transaction: claim up to ``batch_size`` cases with an outside filing overdue,
    record the reminders and queue their emails."""
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    with transaction.atomic():
        case_ids = engine.claim_file_reminders(now=now, limit=batch_size)
        if not case_ids:
            return SweepResult()
        records = engine.file_reminders_claimed(case_ids=case_ids, now=now)
        notifications_queue(filing_reminder_notifications(records), now=now)
        _webhooks_for(records, now=now)
    return SweepResult(reminded=len(records), batches=1, case_ids=case_ids)


def sweep_promises_and_reminders(*, now: datetime, batch_size: int | None = None) -> SweepResult:
    """The promise pass, then the filing-reminder pass, batch after batch.

    Runs before the escalation batches, so a case whose promise ran out is back on the
    ladder (with at least the resume minimum left) before anything escalates.
    """
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    result = SweepResult()
    for batch in (promises_batch, reminders_batch):
        while True:
            part = batch(now=now, batch_size=batch_size)
            result.add(part)
            if len(part.case_ids) < batch_size:
                break
    return result


def sweep_escalations(*, now: datetime, batch_size: int | None = None) -> SweepResult:
    """Escalation batches one after another until one comes back short of full."""
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    result = SweepResult()
    terms: dict[tuple[str, str], PolicyTerms] | None = None
    while True:
        if terms is None and result.batches:
            terms = policy_terms_all()  # read once a second batch shows a long sweep
        part = sweep_batch(now=now, batch_size=batch_size, terms=terms)
        result.add(part)
        if len(part.case_ids) < batch_size:
            return result


def sweep_warnings(*, now: datetime, batch_size: int | None = None) -> SweepResult:
    """Warning batches until one comes back short of full."""
    batch_size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    result = SweepResult()
    while True:
        part = warn_batch(now=now, batch_size=batch_size)
        result.add(part)
        if len(part.case_ids) < batch_size:
            return result


def sweep_plan(*, now: datetime, limit: int = 10_000) -> list[dict[str, Any]]:
    """What a sweep at ``now`` would escalate; reads only (``--dry-run``)."""
    return engine.sweep_plan(now=now, limit=limit)


def sweep_overdue(
    *, now: datetime | None = None, dry_run: bool = False, batch_size: int | None = None
) -> SweepResult:
    """Escalate every overdue stage once, then warn about clocks about to run out; in-process.

    Safe beside any number of other sweeps or batch tasks (skip-locked claiming). With
    ``dry_run`` it only lists what would escalate (``planned``).
    """
    now = now or timezone.now()
    if dry_run:
        return SweepResult(planned=sweep_plan(now=now))
    result = sweep_promises_and_reminders(now=now, batch_size=batch_size)
    result.add(sweep_escalations(now=now, batch_size=batch_size))
    result.add(sweep_warnings(now=now, batch_size=batch_size))
    if result.escalated or result.flagged or result.warned or result.returned or result.reminded:
        logger.info(
            "sweep: escalated %d, flagged %d, warned %d, returned %d, reminded %d in %d batches",
            result.escalated,
            result.flagged,
            result.warned,
            result.returned,
            result.reminded,
            result.batches,
        )
    return result


def _escalate_one(
    *,
    case_id: int,
    now: datetime,
    actor: Any,
    note: str,
    stage_id: int | None = None,
    locked: bool = False,
) -> list[Escalated]:
    """A batch of one, in the caller's transaction: lock the case row (waiting, not
    skipping; ``locked`` if the caller already holds it), escalate its open stage whatever
    its clock, queue the emails."""
    if not locked:
        engine.case_lock(case_id=case_id)
    if (
        stage_id is not None
        and not TierStage.objects.filter(
            pk=stage_id, case_id=case_id, closed_at__isnull=True
        ).exists()
    ):
        return []
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    records = engine.escalate_claimed(
        case_ids=[case_id], now=now, actor_id=actor_id, note=note, due_only=False
    )
    notifications_queue(escalation_notifications(records, now=now), now=now)
    _webhooks_for(records, now=now)
    return records


def stage_escalate(*, stage_id: int, now: datetime, actor: Any = None, note: str = "") -> bool:
    """Escalate one open stage now, due or not; False if it is no longer open.

    The case row is locked and the stage re-checked inside the transaction, so a second
    call (or a sweep in parallel) is a no-op.
    """
    case_id = TierStage.objects.filter(pk=stage_id).values_list("case_id", flat=True).first()
    if case_id is None:
        return False
    with transaction.atomic():
        records = _escalate_one(case_id=case_id, now=now, actor=actor, note=note, stage_id=stage_id)
    return bool(records)


def case_escalate(*, case: ComplaintCase, actor: Any, reason: str, now: datetime) -> TierStage:
    """Staff move the case to the next tier before its deadline; returns the new stage.

    ``reason`` (the staff member's words) is kept in the ESCALATED event as ``note``; the
    event's ``reason`` is the stage's close reason, escalated by staff.
    """
    with transaction.atomic():
        status, tier = engine.case_lock(case_id=case.pk)
        if status not in OPEN_STATUSES:
            raise InvalidTransition()
        if TierStage.objects.filter(
            case_id=case.pk, closed_at__isnull=True, accepted_at__isnull=False
        ).exists():
            # The complainant accepted a promise: it is theirs to reject, not staff's.
            raise InvalidTransition(fields={"status": [str(messages.ACCEPTED_PROMISE_RUNS)]})
        if tier_next(tier) is None:
            raise StateConflict(fields={"tier": [str(messages.LAST_TIER)]})
        if not _escalate_one(
            case_id=case.pk, now=now, actor=actor, note=reason.strip(), locked=True
        ):
            raise ConcurrentChange()
    case.refresh_from_db()
    return TierStage.objects.get(case=case, closed_at__isnull=True)
