"""The complainant's next step, derived from the case, its current stage and who the case
waits on (escalation.waiting) alone.

One function for every interface (portal pages, API): the step is computed, never stored,
so it cannot drift from what happened. Invariant: it never asks for something already
done at the current tier. Once the letter was sent (a filing date or ticket number is
recorded) or the tier answered, it does not go back to "send the complaint letter",
whatever came after (a rejected response, a request for evidence that was answered).
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import CaseStatus
from complaints.models import ComplaintCase
from complaints.tiers import Tier
from escalation.waiting import Waiting, waiting_on


def next_step(case: ComplaintCase, stage: Any) -> str:
    """The one thing the complainant should do now, in one line (``stage``: the open one)."""
    status = case.status
    if status == CaseStatus.RESOLVED and case.closed_at is not None:
        until = case.closed_at + timedelta(days=settings.CASE_REOPEN_WINDOW_DAYS)
        return _(
            "Resolved. If the resolution does not hold, you can reopen the case until %(date)s."
        ) % {"date": timezone.localtime(until).strftime("%Y-%m-%d")}
    if status in (CaseStatus.WITHDRAWN, CaseStatus.CLOSED, CaseStatus.RESOLVED):
        return _("Nothing more to do: this case is closed.")
    waiting = waiting_on(case, stage)
    if waiting == Waiting.FULFILMENT:
        return _(
            "You accepted the answer: mark the case resolved once the promise is kept. If "
            "the promised date passes first, the case goes back on the ladder by itself."
        )
    if status == CaseStatus.AWAITING_COMPLAINANT:
        return _("You were asked for more evidence: add it or send a message.")
    if status == CaseStatus.RESPONDED:
        return _("A response came in: read it, then accept or reject it.")
    if case.needs_staff_attention:
        return _("Every tier's deadline has passed; our staff will contact you.")
    if waiting == Waiting.COMPLAINANT_FILES_OUTSIDE and case.tier == Tier.PAYMENT:
        return _(
            "Open a transaction complaint in the Alipay app with the document below, then "
            "record its number and the expiry time Alipay shows."
        )
    if waiting == Waiting.COMPLAINANT_FILES_OUTSIDE:
        return _(
            "File the watchdog complaint on 12315 or Black Cat with the document below, "
            "then record its complaint number and the date you filed: 12315's deadline "
            "starts then."
        )
    if (
        waiting == Waiting.OUTSIDE_BODY
        and case.tier == Tier.WATCHDOG
        and stage is not None
        and stage.outside_accepted_at is None
        and not stage.responded_at
    ):
        return _(
            "Wait for 12315 to accept the complaint (7 working days) and record the "
            "date it does; we escalate if the deadline passes."
        )
    filed = bool(stage and (stage.external_reference or stage.filed_at))
    answered = bool(stage and stage.responded_at)
    if case.tier == Tier.PLATFORM:
        if answered:
            return _(
                "The platform answered but has not met your demand: wait for it to act; "
                "we escalate if the deadline passes."
            )
        if filed:
            return _("Wait for the platform's answer; we escalate if the deadline passes.")
        return _(
            "Send the complaint letter to %(platform)s, then record the ticket number here."
        ) % {"platform": case.order.platform.name}
    if case.tier == Tier.WATCHDOG:
        if answered:
            return _(
                "12315 / Black Cat answered but your demand is not met yet: wait for the "
                "mediation; we escalate if the deadline passes."
            )
        if filed:
            return _("Wait for 12315 / Black Cat; we escalate if the deadline passes.")
        return _(
            "File the watchdog complaint on 12315 or Black Cat with the document below, "
            "then record its complaint number."
        )
    if case.tier == Tier.PAYMENT:
        if filed or answered:
            return _("Wait for the payment channel's decision on your dispute.")
        return _("Open a dispute with your payment channel using the document below.")
    if filed or answered:
        return _("Follow the mediation or court procedure you started; keep its number here.")
    return _("Apply for mediation or a small-claims court with the evidence package.")
