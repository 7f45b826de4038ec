"""Ending a case: the complainant's or staff's resolution, withdrawal, reopening within
the window, and the run that closes the cases whose ending is final."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services
from complaints.access import Act, check_act
from complaints.choices import (
    COMPLAINANT_RESOLVED_OUTCOMES,
    ENDING_OUTCOMES,
    OPEN_STATUSES,
    CaseStatus,
    EventKind,
    ResolutionOutcome,
)
from complaints.errors import ConcurrentChange, InvalidInput, InvalidTransition
from complaints.models import CaseEvent, ComplaintCase
from complaints.selectors import complainant_language
from complaints.transitions import case_transition
from escalation.models import StageCloseReason
from escalation.services import stage_close_open, stage_reopen

from .base import _complainant_email, case_writes, first_responder_take


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
