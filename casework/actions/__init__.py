"""The actions: every change that touches several apps at once, and what it notifies.

Portal views, API views, admin actions and tasks validate their input, then call one of
these. Each runs in one transaction: the case row is locked (through the status
transition or the stage helpers) before its stage, the lock order the sweep relies on,
and the notifications it decides are queued in the outbox in that same transaction.

Every action that writes to a case runs inside ``case_writes``: whatever events the
services below append (the core's timeline cannot call notifications), the webhook
deliveries they owe are queued before the transaction commits. An action that writes
events outside ``case_writes`` would send no webhooks; keep every write inside one.

Where they live: ``base`` holds ``case_writes`` and what several actions share
(``first_responder_take``, resuming the clocks, the complainant's email); ``filing``
files a complaint; ``closing`` resolves, withdraws, reopens and closes; ``amendments``
corrects the record and takes the details given; ``responses`` holds the exchange at a
tier (responses, requests for evidence, messages); ``staff`` the staff's acts (outside
references, escalation, assignment, recalculation); ``evidence`` adds evidence. Callers
import them from here (``from casework import actions``); a test that patches a name an
action looks up patches it in that submodule (``casework.actions.filing``).
"""

from ..sweep import case_escalate
from .amendments import (
    AMEND_TEXT_MAX,
    PROFILE_DETAILS,
    amendment_notify,
    case_amend,
    case_details_give,
)
from .base import case_writes, first_responder_take
from .closing import (
    case_reopen,
    case_resolve,
    case_resolve_by_staff,
    case_withdraw,
    cases_close_due,
    reopen_window,
    staff_resolve_allowed_at,
)
from .evidence import case_evidence_add
from .filing import case_file
from .responses import (
    RESPONSE_SOURCES,
    case_accept_response,
    case_message,
    case_record_response,
    case_reject_response,
    case_request_evidence,
    case_resume,
    response_received_notify,
)
from .staff import (
    case_assign,
    case_escalate_by_staff,
    case_record_acceptance,
    case_record_external_reference,
    stages_recalculate,
)

__all__ = [
    "AMEND_TEXT_MAX",
    "PROFILE_DETAILS",
    "RESPONSE_SOURCES",
    "amendment_notify",
    "case_accept_response",
    "case_amend",
    "case_assign",
    "case_details_give",
    "case_escalate",  # casework.sweep's, as the module offered it before the split
    "case_escalate_by_staff",
    "case_evidence_add",
    "case_file",
    "case_message",
    "case_record_acceptance",
    "case_record_external_reference",
    "case_record_response",
    "case_reject_response",
    "case_reopen",
    "case_request_evidence",
    "case_resolve",
    "case_resolve_by_staff",
    "case_resume",
    "case_withdraw",
    "case_writes",
    "cases_close_due",
    "first_responder_take",
    "reopen_window",
    "response_received_notify",
    "staff_resolve_allowed_at",
    "stages_recalculate",
]
