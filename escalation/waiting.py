"""Who the case is waiting on: derived in one place, shown the same way everywhere.

The portal's case page and next step, the API's ``waiting_on`` field and the admin's
column all read ``waiting_on``; nothing stores it, so it can never disagree with the
stage and status it is derived from. The clocks follow it: only RESPONDENT and
OUTSIDE_BODY stages have an escalation clock running; FULFILMENT runs the promise's own
clock; COMPLAINANT_FILES_OUTSIDE runs a reminder clock that never escalates.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.choices import OPEN_STATUSES, CaseStatus
from complaints.models import ComplaintCase
from complaints.tiers import Tier

from .deadlines import outside_filing_first
from .models import TierStage


class Waiting(models.TextChoices):
    RESPONDENT = "respondent", _("Waiting for the platform's answer")
    COMPLAINANT_DECIDES = "complainant_decides", _("Waiting for you to accept or reject the answer")
    FULFILMENT = "fulfilment", _("Waiting for the promise to be kept")
    COMPLAINANT_EVIDENCE = "complainant_evidence", _("Waiting for your evidence")
    COMPLAINANT_FILES_OUTSIDE = (
        "complainant_files_outside",
        _("Waiting for you to file with the outside body"),
    )
    OUTSIDE_BODY = "outside_body", _("Waiting for the outside body")
    STAFF = "staff", _("Waiting for our staff")
    NOBODY = "nobody", _("Nobody: the case is closed")


COMPLAINANT_TURNS = frozenset(
    {Waiting.COMPLAINANT_DECIDES, Waiting.COMPLAINANT_EVIDENCE, Waiting.COMPLAINANT_FILES_OUTSIDE}
)


def waiting_on(case: ComplaintCase, stage: TierStage | None) -> Waiting:
    """Whose move it is on ``case`` whose open stage is ``stage`` (None once it ended).

    Order matters and is the rule: an accepted promise outranks everything open (the
    clocks stand still for it), then a request for evidence, then an answer to decide on,
    then a ladder that ran out (staff), then a filing the complainant still owes outside.
    Reads ``case.order`` only at an outside tier (select it with the case).
    """
    if case.status not in OPEN_STATUSES or stage is None or stage.closed_at is not None:
        return Waiting.NOBODY
    if stage.accepted_at is not None:
        return Waiting.FULFILMENT
    if case.status == CaseStatus.AWAITING_COMPLAINANT:
        return Waiting.COMPLAINANT_EVIDENCE
    if case.status == CaseStatus.RESPONDED:
        return Waiting.COMPLAINANT_DECIDES
    if case.needs_staff_attention:
        return Waiting.STAFF
    if stage.tier == Tier.PLATFORM:
        return Waiting.RESPONDENT
    if stage.filed_at is None and (
        stage.file_by_at is not None or outside_filing_first(stage.tier, case.order.payment_method)
    ):
        return Waiting.COMPLAINANT_FILES_OUTSIDE
    return Waiting.OUTSIDE_BODY
