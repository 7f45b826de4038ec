"""The actions: every change that touches several apps at once, and what it notifies.

Portal views, API views, admin actions and tasks validate their input, then call one of
these. Each runs in one transaction: the case row is locked (through the status
transition or the stage helpers) before its stage, the lock order the sweep relies on,
and the notifications it decides are queued in the outbox in that same transaction.

Every action that writes to a case runs inside ``case_writes``: whatever events the
services below append (the core's timeline cannot call notifications), the webhook
deliveries they owe are queued before the transaction commits. An action that writes
events outside ``case_writes`` would send no webhooks; keep every write inside one.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from complaints import services
from complaints.access import Act, check_act
from complaints.choices import (
    COMPLAINANT_RESOLVED_OUTCOMES,
    ENDING_OUTCOMES,
    OPEN_STATUSES,
    CaseStatus,
    EventKind,
    OtherProceedings,
    ProblemType,
    ResolutionOutcome,
    Urgency,
)
from complaints.errors import ConcurrentChange, InvalidInput, InvalidTransition, StateConflict
from complaints.models import CaseEvent, ComplaintCase, Order
from complaints.records import (
    AMENDABLE_FIELDS,
    CASE_AMENDABLE,
    field_label,
    record_seal,
    record_value,
    value_text,
    value_words,
)
from complaints.selectors import complainant_language
from complaints.services import full_clean, money, reference_next
from complaints.tiers import Tier
from complaints.timeline import event_append
from complaints.transitions import case_transition
from escalation import messages
from escalation.models import StageCloseReason, TierStage
from escalation.needs import NEED_FIELDS
from escalation.services import (
    stage_accept,
    stage_close_open,
    stage_open,
    stage_pause,
    stage_recalculate,
    stage_record_filing,
    stage_record_outside_acceptance,
    stage_record_response,
    stage_reopen,
    stage_restart_update_clock,
    stage_resume,
)
from evidence.models import EvidenceItem
from evidence.services import bundle_attach, bundle_create, evidence_add
from notifications.outbox import outbox_email
from notifications.webhooks import webhooks_queue

from .dispatch import dispatch_classify, triager_least_loaded
from .receipts import receipt_send
from .sweep import case_escalate


@contextmanager
def case_writes(case: ComplaintCase) -> Iterator[None]:
    """One transaction for an action on ``case``; its new events are queued as webhooks.

    The events are those with a sequence number above the case's last one at the start
    (all of the case's events for a case being filed). Another writer's event committed
    in between may be included too; it is queued once, as (endpoint, event) is unique.
    """
    with transaction.atomic():
        last = 0
        if case.pk is not None:
            last = (
                CaseEvent.objects.filter(case_id=case.pk)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
                or 0
            )
        yield
        if case.pk is not None:
            webhooks_queue(CaseEvent.objects.filter(case_id=case.pk, seq__gt=last))


def case_file(
    *,
    complainant: Any,
    order: Order,
    problem_type: str,
    description: str,
    demand_kind: str,
    demand_text: str = "",
    demand_amount: Decimal | str | int | None = None,
    demand_within_hours: int = 24,
    urgency: str = Urgency.NORMAL,
    urgency_reason: str = "",
    harm_noticed_at: datetime | None = None,
    risk_signals: Sequence[str] = (),
    other_proceedings: str = "",
    bundle: Any = None,
    route: bool = True,
    now: datetime | None = None,
) -> ComplaintCase:
    """File a complaint: the case, its evidence bundle, the platform stage and the first event.

    Smart dispatch classifies it (casework/dispatch.py) and, unless ``route`` is False,
    gives it to the least-loaded triager of its kind.

    ``bundle`` is the evidence collected while writing the complaint; it is attached and
    sealed. All or nothing: a filed complaint always has a reference, a timeline and a
    running clock. The FILED event seals the record (``record_sha256``, complaints.records).
    """
    now = now or timezone.now()
    if order.owner_id != complainant.pk:
        raise InvalidInput(fields={"order": [_("This order belongs to someone else.")]})
    if problem_type not in ProblemType.values:
        raise InvalidInput(fields={"problem_type": [_("Unknown problem type.")]})
    services.demand_check(
        kind=demand_kind,
        amount=demand_amount,
        text=demand_text,
        within_hours=demand_within_hours,
    )
    services.moment_check(field="harm_noticed_at", value=harm_noticed_at, now=now)
    services.urgency_check(urgency=urgency, reason=urgency_reason)
    signals = services.risk_signals_check(problem_type=problem_type, signals=risk_signals)
    proceedings = services.other_proceedings_check(answer=other_proceedings)
    case = ComplaintCase(
        complainant=complainant,
        order=order,
        problem_type=problem_type,
        description=description.strip(),
        demand_kind=demand_kind,
        demand_text=demand_text.strip(),
        demand_amount=money(demand_amount) if demand_amount not in (None, "") else None,
        demand_within_hours=demand_within_hours,
        urgency=urgency,
        urgency_reason=urgency_reason.strip() if urgency == Urgency.URGENT else "",
        harm_noticed_at=harm_noticed_at or now,
        risk_signals=signals,
        other_proceedings=proceedings,
        status=CaseStatus.SUBMITTED,
        tier=Tier.PLATFORM,
        created_at=now,
        updated_at=now,
    )
    # Smart dispatch: the kind, priority and tags from the one rule table (casework/dispatch.py).
    dispatch = dispatch_classify(case)
    case.dispatch_kind = dispatch.kind
    case.dispatch_priority = dispatch.priority
    case.dispatch_tags = list(dispatch.tags)
    full_clean(case, exclude=["reference"])
    with case_writes(case):
        case.reference = reference_next(year=timezone.localtime(now).year)
        case.save()
        stage_open(case=case, tier=Tier.PLATFORM, now=now)
        event_append(
            case=case,
            kind=EventKind.FILED,
            actor=complainant,
            payload={
                "reference": case.reference,
                "problem_type": problem_type,
                "order_number": order.order_number,
                "amount": order.amount,
                "urgency": urgency,
                **record_seal(case),
            },
            now=now,
        )
        bundle_attach(
            bundle=bundle or bundle_create(owner=complainant, now=now), case=case, now=now
        )
        receipt_send(case=case, now=now, filing=True)
        # ...and routed, in the filing's transaction, to the least-loaded triager of its kind.
        triager = triager_least_loaded(dispatch.kind) if route else None
        if triager is not None:
            services.case_assign(
                case=case, assignee=triager, actor=None, now=now, reason="dispatch"
            )
    return case


def case_resolve(
    *,
    case: ComplaintCase,
    actor: Any,
    outcome: str = ResolutionOutcome.RESOLVED,
    note: str = "",
    now: datetime | None = None,
) -> ComplaintCase:
    """The complainant confirms the demand was met (``outcome`` says how); the clocks stop.

    Only a resolution is recorded here: ending a case without one is ``case_withdraw``
    with its own outcome. The case stays reopenable for ``CASE_REOPEN_WINDOW_DAYS``.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.RESOLVE)
    if outcome not in COMPLAINANT_RESOLVED_OUTCOMES:
        raise InvalidInput(fields={"outcome": [_("Unknown outcome.")]})
    with case_writes(case):
        case_transition(
            case=case,
            to_status=CaseStatus.RESOLVED,
            actor=actor,
            event_kind=EventKind.RESOLVED,
            payload={"outcome": outcome, "note": note.strip()},
            now=now,
            extra_fields={"resolution_outcome": outcome},
        )
        stage_close_open(case=case, reason=StageCloseReason.RESOLVED, now=now)
    return case


def staff_resolve_allowed_at(case: ComplaintCase) -> datetime | None:
    """When staff may first treat ``case`` as resolved, or None while nothing was fulfilled.

    The silence counts from the later of the last recorded response (the respondent's
    fulfilment) and the last thing the complainant did: a complainant who speaks up after
    the fulfilment has not gone silent on it.
    """
    fulfilled = (
        CaseEvent.objects.filter(case=case, kind=EventKind.RESPONSE_RECORDED)
        .exclude(payload__source="complainant")
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    if fulfilled is None:
        return None
    spoke = (
        CaseEvent.objects.filter(case=case, actor_id=case.complainant_id)
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    anchor = max(fulfilled, spoke) if spoke else fulfilled
    return anchor + timedelta(days=settings.CASE_STAFF_RESOLVE_SILENCE_DAYS)


def case_resolve_by_staff(
    *, case: ComplaintCase, actor: Any, reason: str, now: datetime | None = None
) -> ComplaintCase:
    """Staff treat a fulfilled case as resolved after the complainant stayed silent.

    Allowed from ``CASE_STAFF_RESOLVE_SILENCE_DAYS`` after the fulfilment or the
    complainant's last word, whichever is later (at that instant included), with a
    reason; the complainant is told and may reopen within the reopen window.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.RESOLVE_BY_STAFF)
    reason = services.reason_check(reason=reason)
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition()
    allowed_at = staff_resolve_allowed_at(case)
    if allowed_at is None:
        raise InvalidTransition(
            _("No response or fulfilment is recorded: only the complainant can resolve this case.")
        )
    if now < allowed_at:
        raise InvalidTransition(
            _("The complainant may still answer: staff can resolve this case from %(at)s.")
            % {"at": timezone.localtime(allowed_at).strftime("%Y-%m-%d %H:%M")}
        )
    outcome = ResolutionOutcome.RESOLVED_BY_STAFF
    with case_writes(case):
        first_responder_take(case=case, actor=actor, now=now)
        event = case_transition(
            case=case,
            to_status=CaseStatus.RESOLVED,
            actor=actor,
            event_kind=EventKind.RESOLVED,
            payload={"outcome": outcome, "reason": reason, "by": "staff"},
            now=now,
            extra_fields={"resolution_outcome": outcome},
        )
        stage_close_open(case=case, reason=StageCloseReason.RESOLVED, now=now)
        with translation.override(complainant_language(case.complainant)):
            subject = _("Case %(ref)s was marked resolved") % {"ref": case.reference}
            body = _(
                "Our staff marked your case %(ref)s resolved because the respondent fulfilled "
                "it and we heard nothing from you for %(days)s days. Reason: %(reason)s\n\n"
                "If it is not resolved, reopen the case on its page within %(window)s days."
            ) % {
                "ref": case.reference,
                "days": settings.CASE_STAFF_RESOLVE_SILENCE_DAYS,
                "reason": reason,
                "window": settings.CASE_REOPEN_WINDOW_DAYS,
            }
        _complainant_email(case=case, subject=subject, body=body, key=f"resolved:{event.pk}")
    return case


def case_withdraw(
    *,
    case: ComplaintCase,
    actor: Any,
    reason: str = "",
    outcome: str = ResolutionOutcome.WITHDRAWN,
    now: datetime | None = None,
) -> ComplaintCase:
    """The complainant ends the case without a resolution; evidence and timeline are kept.

    ``outcome`` says which ending it is: withdrawn, given up, or not resolved but closed
    at their request. None of them can be undone; the case closes at the next closing run.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.WITHDRAW)
    if outcome not in ENDING_OUTCOMES:
        raise InvalidInput(fields={"outcome": [_("Unknown outcome.")]})
    with case_writes(case):
        case_transition(
            case=case,
            to_status=CaseStatus.WITHDRAWN,
            actor=actor,
            event_kind=EventKind.WITHDRAWN,
            payload={"reason": reason.strip(), "outcome": outcome},
            now=now,
            extra_fields={"resolution_outcome": outcome},
        )
        stage_close_open(case=case, reason=StageCloseReason.WITHDRAWN, now=now)
    return case


def reopen_window() -> timedelta:
    return timedelta(days=settings.CASE_REOPEN_WINDOW_DAYS)


def case_reopen(
    *, case: ComplaintCase, actor: Any, reason: str, now: datetime | None = None
) -> ComplaintCase:
    """The resolution did not hold: back to in progress at the tier the case was at.

    Allowed to the complainant while ``now`` is before the end of the reopen window
    (resolution time + ``CASE_REOPEN_WINDOW_DAYS``); at that instant the case is due to
    close. The tier's clocks start again from ``now``.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.REOPEN)
    reason = services.reason_check(reason=reason)
    if case.status != CaseStatus.RESOLVED or case.closed_at is None:
        raise InvalidTransition()
    if now >= case.closed_at + reopen_window():
        raise InvalidTransition(
            _("The reopen window ended on %(at)s; file a new complaint instead.")
            % {"at": timezone.localtime(case.closed_at + reopen_window()).strftime("%Y-%m-%d")}
        )
    with case_writes(case):
        case_transition(
            case=case,
            to_status=CaseStatus.IN_PROGRESS,
            actor=actor,
            event_kind=EventKind.REOPENED,
            payload={"reason": reason, "tier": case.tier, "outcome": case.resolution_outcome},
            now=now,
            extra_fields={"resolution_outcome": "", "closed_at": None},
        )
        stage_reopen(case=case, tier=case.tier, now=now)
    return case


def cases_close_due(*, now: datetime) -> int:
    """Close the cases whose ending is final: resolved ones once the reopen window passed
    (at its last instant included), withdrawn ones at once. One case at a time, each move
    conditional on the status seen, so two runs never close a case twice."""
    due = ComplaintCase.objects.filter(
        Q(status=CaseStatus.RESOLVED, closed_at__lte=now - reopen_window())
        | Q(status=CaseStatus.WITHDRAWN, closed_at__lte=now)
    ).order_by("pk")
    closed = 0
    for case in due.iterator(chunk_size=200):
        reason = "reopen_window_passed" if case.status == CaseStatus.RESOLVED else "withdrawn"
        try:
            with case_writes(case):
                case_transition(
                    case=case,
                    to_status=CaseStatus.CLOSED,
                    event_kind=EventKind.CLOSED,
                    payload={"reason": reason},
                    now=now,
                )
        except ConcurrentChange:
            continue
        closed += 1
    return closed


AMEND_TEXT_MAX = {"description": 10000, "demand_text": 2000}


def _amended_value(case: ComplaintCase, field: str, value: Any) -> Any:
    """``value`` for ``field`` as the model stores it, checked by the field's own rules."""
    order_field = field.removeprefix("order.")
    if field in ("demand_amount",):
        return money(value) if value not in (None, "") else None
    if field == "order.amount":
        amount = money(value)
        if amount <= 0:
            raise InvalidInput(fields={"value": [_("The amount must be more than zero.")]})
        return amount
    if field == "demand_within_hours":
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(fields={"value": [_("Give a number of hours.")]}) from exc
    if field == "other_proceedings":
        # The answer, by its code or its label in the active language ("否", "No").
        typed = str(value or "").strip()
        labels: dict[str, str] = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                labels.update({str(lb).casefold(): code for code, lb in OtherProceedings.choices})
        answer = typed if typed in OtherProceedings.values else labels.get(typed.casefold(), "")
        if not answer:
            raise InvalidInput(fields={"value": [_("Answer yes, no or not sure.")]})
        return services.other_proceedings_check(answer=answer)
    if field == "order.paid_at":
        moment = value if isinstance(value, datetime) else parse_datetime(str(value or ""))
        if moment is None:
            raise InvalidInput(fields={"value": [_("Give a date and time.")]})
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        services.moment_check(field="value", value=moment)
        return moment
    text = str(value or "").strip()
    if field in ("description", "order.order_number", "order.product_name") and not text:
        raise InvalidInput(fields={"value": [_("This cannot be empty.")]})
    if field.startswith("order."):
        limit = getattr(Order._meta.get_field(order_field), "max_length", None)
    else:
        limit = AMEND_TEXT_MAX.get(field)
    if limit and len(text) > limit:
        raise InvalidInput(
            fields={"value": [_("At most %(limit)s characters.") % {"limit": limit}]}
        )
    return text


def case_amend(
    *,
    case: ComplaintCase,
    actor: Any,
    field: str,
    value: Any,
    reason: str,
    now: datetime | None = None,
) -> CaseEvent:
    """Correct one field of the sealed record; the timeline keeps before, after and why.

    The case (or order) row takes the corrected value, which documents print and declare
    as corrected; the FILED event keeps the original. The AMENDED event carries the
    record's new hash, so ``verify_evidence`` can tell an amendment from a change behind
    the portal's back. The complainant is emailed about every amendment.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.AMEND)
    errors: dict[str, list[str]] = {}
    if field not in AMENDABLE_FIELDS:
        errors["field"] = [_("This part of the complaint cannot be corrected.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give a reason.")]
    if errors:
        raise InvalidInput(fields=errors)
    if case.status == CaseStatus.CLOSED:
        raise InvalidTransition(_("The case is closed; its record can no longer change."))
    new = _amended_value(case, field, value)
    old = record_value(case, field)
    if value_text(old) == value_text(new):
        raise StateConflict(fields={"value": [_("This is the value the record already holds.")]})
    if field in CASE_AMENDABLE:
        demand = {
            "kind": case.demand_kind,
            "amount": case.demand_amount,
            "text": case.demand_text,
            "within_hours": case.demand_within_hours,
        }
        demand[field.removeprefix("demand_")] = new
        if field.startswith("demand_"):
            try:
                services.demand_check(
                    kind=str(demand["kind"]),
                    amount=demand["amount"],
                    text=str(demand["text"] or ""),
                    within_hours=int(demand["within_hours"] or 0) or None,
                )
            except InvalidInput as exc:
                # the value is refused by the case's demand kind, not on its own
                raise StateConflict(
                    fields={"value": [m for ms in exc.fields.values() for m in ms]}
                ) from exc
    with case_writes(case):
        ComplaintCase.objects.select_for_update().filter(pk=case.pk).values_list("pk").get()
        if field.startswith("order."):
            Order.objects.filter(pk=case.order_id).update(**{field.removeprefix("order."): new})
            setattr(case.order, field.removeprefix("order."), new)
        else:
            ComplaintCase.objects.filter(pk=case.pk).update(**{field: new, "updated_at": now})
            setattr(case, field, new)
        event = event_append(
            case=case,
            kind=EventKind.AMENDED,
            actor=actor,
            payload={
                "field": field,
                "before": value_text(old),
                "after": value_text(new),
                "reason": reason.strip(),
                "by": "complainant" if actor.pk == case.complainant_id else "staff",
                **record_seal(case),
            },
            now=now,
        )
        amendment_notify(case=case, event=event, now=now)
    return event


PROFILE_DETAILS = ("name", "phone", "address")


def case_details_give(
    *, case: ComplaintCase, actor: Any, details: dict[str, str], now: datetime | None = None
) -> ComplaintCase:
    """The facts the documents ahead still lack (escalation.needs), given by the
    complainant on the case page; a blank value is not given.

    Name, phone and address go to the complainant's profile (who they are, for every case
    and document; complaints.services.profile_update checks them as the profile page
    does). Whether the dispute is before another body is part of this case's sealed
    record, so it is written as an amendment: the timeline keeps before, after, who and
    when. All or nothing: when any value is refused, each refusal names its field and
    nothing is saved.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.GIVE_DETAILS)
    unknown = sorted(set(details) - set(NEED_FIELDS))
    if unknown:
        raise InvalidInput(fields={name: [_("Unknown field.")] for name in unknown})
    given = {k: str(v).strip() for k, v in details.items() if str(v or "").strip()}
    if not given:
        raise InvalidInput(_("Fill in at least one of the questions."))
    errors: dict[str, list[str]] = {}
    with case_writes(case):
        answer = given.get("other_proceedings")
        if answer is not None and answer != case.other_proceedings:
            try:
                case_amend(
                    case=case,
                    actor=actor,
                    field="other_proceedings",
                    value=answer,
                    reason=_("Answered when the case page asked for the documents ahead."),
                    now=now,
                )
            except InvalidInput as exc:
                errors["other_proceedings"] = [m for ms in exc.fields.values() for m in ms]
        profile = {k: v for k, v in given.items() if k in PROFILE_DETAILS}
        if profile:
            try:
                services.profile_update(user=actor, **profile)
            except InvalidInput as exc:
                errors.update(exc.fields)
        if errors:
            # Raised inside the transaction: an amendment already written is undone too.
            raise InvalidInput(fields=errors)
    return case


def amendment_notify(*, case: ComplaintCase, event: CaseEvent, now: datetime) -> None:
    """Tell the complainant what was corrected, from what to what and why (once per event)."""
    payload = event.payload
    with translation.override(complainant_language(case.complainant)):
        subject = _("Case %(ref)s: your complaint was corrected") % {"ref": case.reference}
        body = _(
            "%(who)s corrected “%(field)s” in your case %(ref)s on %(at)s.\n\n"
            "Before: %(before)s\nNow: %(after)s\nReason: %(reason)s\n\n"
            "Documents use the corrected text and say that it was corrected. "
            "If this is wrong, send a message on the case page."
        ) % {
            "who": _("You") if payload["by"] == "complainant" else _("Our staff"),
            "field": field_label(payload["field"]),
            "ref": case.reference,
            "at": timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
            "before": value_words(payload["field"], payload["before"]) or "—",
            "after": value_words(payload["field"], payload["after"]) or "—",
            "reason": payload["reason"],
        }
    _complainant_email(case=case, subject=subject, body=body, key=f"amended:{event.pk}", now=now)


def _complainant_email(
    *, case: ComplaintCase, subject: str, body: str, key: str, now: datetime | None = None
) -> None:
    if case.complainant.email:
        outbox_email(
            to=case.complainant.email,
            subject=subject,
            body=body,
            dedupe_key=key,
            case=case,
            now=now,
        )


RESPONSE_SOURCES = ("staff", "respondent", "complainant")


def case_record_response(
    *, case: ComplaintCase, actor: Any, source: str, text: str = "", now: datetime | None = None
) -> ComplaintCase:
    """A response arrived at the current tier: the first-response clock stops.

    The update and resolution clocks run on: an acknowledgement is not a resolution.
    """
    now = now or timezone.now()
    if source not in RESPONSE_SOURCES:
        raise InvalidInput(fields={"source": [str(messages.UNKNOWN_RESPONSE_SOURCE)]})
    check_act(actor, case, Act.MESSAGE if source == "complainant" else Act.RECORD_RESPONSE)
    with case_writes(case):
        if source != "complainant":
            first_responder_take(case=case, actor=actor, now=now)
        stage = stage_record_response(case=case, now=now)
        payload = {"source": source, "text": text.strip(), "tier": case.tier}
        if case.status in (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS):
            case_transition(
                case=case,
                to_status=CaseStatus.RESPONDED,
                actor=actor,
                event_kind=EventKind.RESPONSE_RECORDED,
                payload=payload,
                now=now,
            )
        elif stage is not None:
            event_append(
                case=case, kind=EventKind.RESPONSE_RECORDED, actor=actor, payload=payload, now=now
            )
        else:
            raise InvalidTransition()
        if source != "complainant":
            response_received_notify(case=case, text=text, now=now)
    return case


def case_accept_response(
    *,
    case: ComplaintCase,
    actor: Any,
    promised_by: datetime | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """The complainant accepts the response's promise; they mark the case resolved once it
    is carried out.

    The tier's clocks stop and the promise's clock runs to ``promised_by`` (the date the
    answer named, asked when accepting; the stage's resolution deadline when none was
    given). If it passes unconfirmed the sweep returns the case to the ladder with the
    time its clocks had left (``engine.fulfilment_missed_claimed``).
    """
    now = now or timezone.now()
    check_act(actor, case, Act.ACCEPT_RESPONSE)
    if case.status != CaseStatus.RESPONDED:
        raise InvalidTransition()
    with case_writes(case):
        stage = stage_accept(case=case, now=now, promised_by=promised_by)
        event_append(
            case=case,
            kind=EventKind.RESPONSE_ACCEPTED,
            actor=actor,
            payload={
                "tier": stage.tier,
                "promised_by": stage.fulfilment_due_at,
                "date_given": promised_by is not None,
            },
            now=now,
        )
    return case


def case_reject_response(
    *, case: ComplaintCase, actor: Any, reason: str = "", now: datetime | None = None
) -> ComplaintCase:
    """The response does not meet the demand: back to in progress, the clocks run on.

    The reason is required: it is what staff and the next tier read about why the
    answer was not enough.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.REJECT_RESPONSE)
    reason = services.reason_check(reason=reason)
    if case.status != CaseStatus.RESPONDED:
        raise InvalidTransition()
    with case_writes(case):
        case_transition(
            case=case,
            to_status=CaseStatus.IN_PROGRESS,
            actor=actor,
            event_kind=EventKind.RESPONSE_REJECTED,
            payload={"reason": reason},
            now=now,
        )
        # A promise accepted earlier and now rejected: the clocks run on from where they
        # stood at acceptance (a RESPONDED stage is paused only by an acceptance).
        stage_resume(case=case, now=now)
    return case


def case_request_evidence(
    *, case: ComplaintCase, actor: Any, message: str, now: datetime | None = None
) -> ComplaintCase:
    """Staff ask the complainant for more evidence; the clocks pause until they answer."""
    now = now or timezone.now()
    check_act(actor, case, Act.REQUEST_EVIDENCE)
    if not message.strip():
        raise InvalidInput(fields={"message": [str(messages.EVIDENCE_REQUEST_EMPTY)]})
    if TierStage.objects.filter(
        case=case, closed_at__isnull=True, accepted_at__isnull=False
    ).exists():
        raise InvalidTransition(fields={"status": [str(messages.ACCEPTED_PROMISE_RUNS)]})
    with case_writes(case):
        first_responder_take(case=case, actor=actor, now=now)
        case_transition(
            case=case,
            to_status=CaseStatus.AWAITING_COMPLAINANT,
            actor=actor,
            event_kind=EventKind.EVIDENCE_REQUESTED,
            payload={"message": message.strip()},
            now=now,
        )
        stage_pause(case=case, now=now)
    return case


def case_message(
    *, case: ComplaintCase, actor: Any, text: str, now: datetime | None = None
) -> ComplaintCase:
    """The complainant writes: the update clock restarts; a paused case resumes."""
    now = now or timezone.now()
    check_act(actor, case, Act.MESSAGE)
    if not text.strip():
        raise InvalidInput(fields={"text": [str(messages.MESSAGE_EMPTY)]})
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition()
    with case_writes(case):
        event_append(
            case=case, kind=EventKind.MESSAGE, actor=actor, payload={"text": text.strip()}, now=now
        )
        _clocks_resume(case=case, actor=actor, by="message", now=now)
        stage_restart_update_clock(case=case, now=now)
    return case


def _clocks_resume(*, case: ComplaintCase, actor: Any, by: str, now: datetime) -> bool:
    """A request for evidence is answered (``by`` a message, an upload, or staff): the case
    is back in progress and its clocks run with the time they had left (at least the
    resume minimum). In the caller's ``case_writes``; False if nothing was waiting."""
    if case.status != CaseStatus.AWAITING_COMPLAINANT:
        return False
    case_transition(
        case=case,
        to_status=CaseStatus.IN_PROGRESS,
        actor=actor,
        event_kind=EventKind.CLOCKS_RESUMED,
        payload={"by": by},
        now=now,
    )
    stage_resume(case=case, now=now)
    return True


def case_resume(*, case: ComplaintCase, actor: Any, now: datetime | None = None) -> ComplaintCase:
    """Staff restart the clocks of a case paused for evidence (the complainant answered
    another way, or the request is no longer needed)."""
    now = now or timezone.now()
    check_act(actor, case, Act.RESUME)
    if case.status != CaseStatus.AWAITING_COMPLAINANT:
        raise InvalidTransition(fields={"status": [str(messages.NOT_PAUSED)]})
    with case_writes(case):
        _clocks_resume(case=case, actor=actor, by="staff", now=now)
    return case


def case_record_external_reference(
    *,
    case: ComplaintCase,
    actor: Any,
    reference: str,
    filed_at: datetime | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """The number the current tier gave the complaint; its date interrupts the limitation period.

    ``filed_at`` (when the complainant filed there; now if not given) starts an outside
    body's clock: 12315's accept clock (市场监督管理投诉举报处理暂行办法 art. 14).
    ``expires_at`` is the expiry an Alipay complaint shows; it becomes the stage's deadline.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.EXTERNAL_REFERENCE)
    reference = reference.strip()
    if not reference:
        raise InvalidInput(fields={"reference": [str(messages.REFERENCE_EMPTY)]})
    services.moment_check(field="filed_at", value=filed_at, now=now)
    with case_writes(case):
        stage = stage_record_filing(
            case=case, reference=reference, now=now, filed_at=filed_at, expires_at=expires_at
        )
        if stage is None:
            raise InvalidTransition()
        event_append(
            case=case,
            kind=EventKind.EXTERNAL_REFERENCE,
            actor=actor,
            payload={
                "tier": stage.tier,
                "reference": reference,
                "filed_at": stage.filed_at,
                "expires_at": stage.outside_expires_at,
            },
            now=now,
        )
    return case


def case_record_acceptance(
    *, case: ComplaintCase, actor: Any, accepted_at: datetime, now: datetime | None = None
) -> ComplaintCase:
    """12315 accepted the complaint on ``accepted_at``: its accept clock stops and its
    45-working-day mediation clock runs from then (市场监督管理投诉举报处理暂行办法 art. 21)."""
    now = now or timezone.now()
    check_act(actor, case, Act.RECORD_ACCEPTANCE)
    services.moment_check(field="accepted_at", value=accepted_at, now=now)
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition()
    with case_writes(case):
        stage = stage_record_outside_acceptance(case=case, accepted_at=accepted_at, now=now)
        event_append(
            case=case,
            kind=EventKind.OUTSIDE_ACCEPTED,
            actor=actor,
            payload={
                "tier": stage.tier,
                "accepted_at": accepted_at,
                "resolution_due": stage.resolution_due_at,
            },
            now=now,
        )
    return case


def case_escalate_by_staff(
    *, case: ComplaintCase, actor: Any, reason: str = "", now: datetime | None = None
) -> ComplaintCase:
    """Staff move the case up a tier before its deadline (needs complaints.escalate_case).

    The same engine as the sweep, as a batch of one; ``reason`` is kept in the timeline.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.ESCALATE)
    with case_writes(case):
        first_responder_take(case=case, actor=actor, now=now)
        case_escalate(case=case, actor=actor, reason=reason, now=now)
    return case


def case_assign(
    *, case: ComplaintCase, assignee: Any, actor: Any, now: datetime | None = None
) -> ComplaintCase:
    """Give the case to a staff member (first-responder responsibility: they own it).

    A triager takes an unassigned case, or gives back their own; giving a case to anyone
    else, or taking one from its owner, is ``Act.REASSIGN`` (supervisors).
    """
    check_act(actor, case, Act.ASSIGN)
    own = case.assigned_to_id in (None, actor.pk)
    if not own or (assignee is not None and assignee.pk != actor.pk):
        check_act(actor, case, Act.REASSIGN)
    with case_writes(case):
        return services.case_assign(case=case, assignee=assignee, actor=actor, now=now)


def first_responder_take(*, case: ComplaintCase, actor: Any, now: datetime) -> bool:
    """The staff member acting on an unassigned case becomes its owner (首问负责制).

    First-responder responsibility: whoever first answers a complaint keeps it until it
    closes or a supervisor reassigns it. A conditional update (``assigned_to IS NULL``),
    so of two staff acting at once exactly one becomes the owner; it also takes the case
    row's lock first, the order every action keeps. Returns whether ``actor`` took it.
    """
    if case.assigned_to_id is not None or actor.pk == case.complainant_id:
        return False
    taken = ComplaintCase.objects.filter(pk=case.pk, assigned_to__isnull=True).update(
        assigned_to=actor, updated_at=now
    )
    if not taken:
        case.assigned_to_id = (
            ComplaintCase.objects.filter(pk=case.pk).values_list("assigned_to", flat=True).get()
        )
        return False
    case.assigned_to = actor
    event_append(
        case=case,
        kind=EventKind.ASSIGNED,
        actor=actor,
        payload={"assignee": actor.get_username(), "reason": "first_responder"},
        now=now,
    )
    return True


def stages_recalculate(*, stages: Any, actor: Any, now: datetime | None = None) -> int:
    """Staff apply the current deadline policy to open stages; returns how many moved."""
    now = now or timezone.now()
    done = 0
    for stage in stages.filter(closed_at__isnull=True).select_related("case"):
        with case_writes(stage.case):
            done += int(stage_recalculate(stage=stage, actor=actor, now=now))
    return done


def case_evidence_add(
    *,
    case: ComplaintCase,
    actor: Any,
    files: list[Any],
    kind: str,
    occurred_at: datetime | None = None,
    description: str = "",
    now: datetime | None = None,
) -> list[EvidenceItem]:
    """Add files to a filed case's evidence, each sealed and in the timeline; one receipt.

    Each file is stored in its own transaction, so a refused file keeps the ones before
    it; whatever was stored is covered by one receipt email for the whole request, also
    when a later file is refused.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.ADD_EVIDENCE)
    stored: list[EvidenceItem] = []
    try:
        for upload in files:
            with case_writes(case):
                if getattr(actor, "pk", None) == case.complainant_id:
                    # The complainant's upload answers a request for evidence.
                    _clocks_resume(case=case, actor=actor, by="upload", now=now)
                item = evidence_add(
                    bundle=case.evidence_bundle,
                    actor=actor,
                    file=upload,
                    kind=kind,
                    occurred_at=occurred_at,
                    description=description,
                    now=now,
                )
            stored.append(item)
    finally:
        if stored:
            with transaction.atomic():
                receipt_send(case=case, now=now)
    return stored


def response_received_notify(*, case: ComplaintCase, text: str, now: datetime) -> None:
    """Tell the complainant a response came in and that they decide on it (outbox, once)."""
    to = case.complainant.email
    if not to:
        return
    with translation.override(complainant_language(case.complainant)):
        ref = case.reference
        subject = _("Case %(ref)s: a response came in") % {"ref": ref}
        parts = [
            _(
                "%(tier)s answered your case %(ref)s. Read it on your case page, then accept "
                "it or reject it; if you reject it the deadline keeps running."
            )
            % {"ref": ref, "tier": Tier(case.tier).label}
        ]
        if text.strip():
            parts += ["-" * 40, text.strip()]
    outbox_email(
        to=to,
        subject=subject,
        body="\n\n".join(parts),
        dedupe_key=f"response-received:{case.pk}:{now.isoformat()}",
        case=case,
        now=now,
    )
