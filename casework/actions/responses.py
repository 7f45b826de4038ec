"""The exchange at a tier: responses recorded, accepted or rejected, requests for
evidence, the complainant's messages, clocks resumed by staff."""

from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services
from complaints.access import Act, check_act
from complaints.choices import OPEN_STATUSES, CaseStatus, EventKind
from complaints.errors import InvalidInput, InvalidTransition
from complaints.models import ComplaintCase
from complaints.selectors import complainant_language
from complaints.tiers import Tier
from complaints.timeline import event_append
from complaints.transitions import case_transition
from escalation import messages
from escalation.models import TierStage
from escalation.services import (
    stage_accept,
    stage_pause,
    stage_record_response,
    stage_restart_update_clock,
    stage_resume,
)
from notifications.outbox import outbox_email

from .base import _clocks_resume, case_writes, first_responder_take

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
