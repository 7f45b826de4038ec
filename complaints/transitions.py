"""The allowed status moves of a case; the only code that writes ``ComplaintCase.status``."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .choices import CaseStatus, EventKind
from .errors import ConcurrentChange, InvalidTransition
from .models import CaseEvent, ComplaintCase
from .timeline import event_append

S = CaseStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset(
        {S.IN_PROGRESS, S.AWAITING_COMPLAINANT, S.RESPONDED, S.RESOLVED, S.WITHDRAWN, S.CLOSED}
    ),
    S.IN_PROGRESS: frozenset(
        {S.AWAITING_COMPLAINANT, S.RESPONDED, S.RESOLVED, S.WITHDRAWN, S.CLOSED}
    ),
    S.AWAITING_COMPLAINANT: frozenset({S.IN_PROGRESS, S.WITHDRAWN, S.CLOSED}),
    S.RESPONDED: frozenset(
        {S.IN_PROGRESS, S.AWAITING_COMPLAINANT, S.RESOLVED, S.WITHDRAWN, S.CLOSED}
    ),
    # A resolved case may be reopened by the complainant within the reopen window, and
    # closes for good when the window passes (casework.actions.case_reopen / cases_close_due).
    S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
    # Withdrawal cannot be undone; the case closes at the next closing run.
    S.WITHDRAWN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

# Statuses in which the case has ended: ``closed_at`` holds when it ended (the reopen
# window counts from it; reopening clears it).
TERMINAL = frozenset({S.RESOLVED, S.WITHDRAWN, S.CLOSED})


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, frozenset())


def case_transition(
    *,
    case: ComplaintCase,
    to_status: str,
    actor: Any = None,
    event_kind: str = EventKind.STATUS_CHANGED,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
    extra_fields: dict[str, Any] | None = None,
) -> CaseEvent:
    """Move the case to ``to_status`` and record it in the timeline.

    The update is conditional on the status the caller saw, so two concurrent callers
    cannot both make the same move: the second gets ``ConcurrentChange`` and writes
    nothing. ``case`` is updated in place.
    """
    now = now or timezone.now()
    from_status = case.status
    if not can_transition(from_status, to_status):
        raise InvalidTransition(fields={"status": [f"{from_status} → {to_status}"]})
    fields: dict[str, Any] = {"status": to_status, "updated_at": now, **(extra_fields or {})}
    if to_status in TERMINAL and case.closed_at is None:
        fields["closed_at"] = now
    with transaction.atomic():
        changed = ComplaintCase.objects.filter(pk=case.pk, status=from_status).update(**fields)
        if changed != 1:
            raise ConcurrentChange()
        for name, value in fields.items():
            setattr(case, name, value)
        return event_append(
            case=case,
            kind=event_kind,
            actor=actor,
            payload={"from": from_status, "to": to_status, **(payload or {})},
            now=now,
        )
