"""User-facing messages of the escalation services (also used by complaints/services.py's
clock section), kept here so they live in the escalation catalogue."""

from django.utils.translation import gettext_lazy as _

UNKNOWN_RESPONSE_SOURCE = _("Unknown source of the response.")
EVIDENCE_REQUEST_EMPTY = _("Say what evidence is needed.")
MESSAGE_EMPTY = _("The message is empty.")
REFERENCE_EMPTY = _("Enter the complaint or ticket number.")
LAST_TIER = _("The case is already at the last tier; nothing is above it.")
PROMISE_IN_PAST = _("The promised date must be in the future.")
EXPIRY_PAYMENT_ONLY = _("Only a payment-channel complaint has an expiry to record.")
ACCEPTANCE_WATCHDOG_ONLY = _("Only 12315 (the watchdog tier) records an acceptance.")
ACCEPTED_PROMISE_RUNS = _(
    "The complainant accepted a promise; wait for its date, or let them reject it."
)
NOT_PAUSED = _("The clocks are not paused.")
