"""Emails about deadlines and escalations, rendered from the case when the outbox sends them.

The sweep queues thousands of notifications in one insert; rendering each (with its
filing document) happens in the worker that sends it, in the recipient's language.
"""

from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from complaints.models import ComplaintCase
from complaints.selectors import complainant_language
from complaints.tiers import Tier, tier_rank
from escalation.documents import tier_documents


def tier_instructions(tier: str) -> str:
    """What the complainant does at ``tier``, in the active language."""
    return {
        Tier.PLATFORM: _(
            "Send the complaint letter below through the platform's official complaint "
            "channel or customer service, and ask for a ticket number."
        ),
        Tier.WATCHDOG: _(
            "File the 12315 text below on the national 12315 platform (www.12315.cn or the "
            "12315 app). You may also post the public text, in which personal numbers and "
            "card keys are masked, on Black Cat (tousu.sina.com.cn). Then enter the "
            "complaint number you receive on your case page."
        ),
        Tier.PAYMENT: _(
            "Open the payment in Alipay or WeChat Pay, choose to complain about the "
            "transaction, and paste the dispute statement below with your evidence. The "
            "payment channel can step in and freeze the merchant's funds. Enter the "
            "complaint number you receive on your case page."
        ),
        Tier.LEGAL: _(
            "Apply for mediation at your local consumer association with the application "
            "below. For larger amounts (above 500 yuan is suggested) you can file the "
            "small-claims complaint draft below with the court online. Enter the filing "
            "number on your case page."
        ),
    }[Tier(tier)]


# Written to the complainant, in their preferred language; the rest go to staff.
COMPLAINANT_TEMPLATES = frozenset({"escalated", "ladder_end", "deadline_warning"})


def _due(context: dict[str, Any]) -> str:
    due = parse_datetime(context.get("due") or "")
    return date_format(localtime(due), "DATETIME_FORMAT") if isinstance(due, datetime) else ""


def notification_render(*, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of a queued notification."""

    case = ComplaintCase.objects.select_related("order__platform", "complainant").get(
        pk=context["case"]
    )
    language = context.get("language") or "zh-hans"
    if template in COMPLAINANT_TEMPLATES:
        language = complainant_language(case.complainant)
    with translation.override(language):
        ref = case.reference
        if template == "escalated":
            tier = context["tier"]
            label = Tier(tier).label
            subject = _("Case %(ref)s moved to tier %(rank)s of 4: %(tier)s") % {
                "ref": ref,
                "rank": tier_rank(tier),
                "tier": label,
            }
            intro = _(
                "Nobody answered your complaint in time, so your case %(ref)s now goes to: "
                "%(tier)s."
            ) % {"ref": ref, "tier": label}
            # Every form of the new tier, each under its name (12315 and 黑猫, ...).
            forms = [
                f"{d.form_label}\n\n{d.body}"
                for d in tier_documents(case=case, tier=tier, language=language)
            ]
            body = "\n\n".join([intro, _("What to do:"), tier_instructions(tier), "-" * 40, *forms])
        elif template == "ladder_end":
            subject = _("Case %(ref)s: the last tier's check-in has passed") % {"ref": ref}
            body = _(
                "Your case %(ref)s has reached the last tier and its check-in time has "
                "passed. Our staff have been alerted and will contact you. If you have "
                "filed for mediation or in court, enter the filing number on your case page."
            ) % {"ref": ref}
        elif template == "ladder_end_staff":
            subject = _("Case %(ref)s needs staff attention") % {"ref": ref}
            body = _(
                "Case %(ref)s is at the last tier and its check-in time has passed; nothing "
                "can escalate it further. Please contact the complainant."
            ) % {"ref": ref}
        elif template in {"deadline_warning", "deadline_warning_staff"}:
            subject = _("Case %(ref)s: a deadline runs out at %(due)s") % {
                "ref": ref,
                "due": _due(context),
            }
            body = _(
                "The respondent at %(tier)s has until %(due)s to answer case %(ref)s. If "
                "they do not, the case moves up the ladder automatically."
            ) % {"ref": ref, "due": _due(context), "tier": Tier(context["tier"]).label}
        else:
            raise ValueError(template)
    return subject, body
