"""The receipt email: what the complainant just submitted, provable later."""

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from complaints.models import ComplaintCase
from complaints.selectors import complainant_language
from complaints.tiers import Tier
from escalation.documents import tier_documents
from evidence.receipt import receipt_build, receipt_text
from notifications.outbox import outbox_email
from notifications.render import tier_instructions


def receipt_send(*, case: ComplaintCase, now: datetime | None = None, filing: bool = False) -> None:
    """Email the complainant the receipt of what they just submitted.

    Called in the submitting transaction, so the receipt's chain head is the one just
    written, and through the outbox (sent once, retried, never lost). At filing
    it is the one "filed" email: the reference, the next step with the platform letter,
    then the receipt. In the complainant's preferred language.
    """
    to = case.complainant.email
    if not to:
        return
    language = complainant_language(case.complainant)
    with translation.override(language):
        receipt = receipt_build(case, now=now)
        subject = _("Evidence receipt for %(reference)s") % {"reference": case.reference}
        body = receipt_text(receipt)
        if filing:
            subject = _("Complaint %(reference)s filed") % {"reference": case.reference}
            body = "\n\n".join([_filed_intro(case, language=language), "-" * 40, body])
    outbox_email(
        to=[to],
        subject=subject,
        body=body,
        dedupe_key=f"evidence-receipt:{case.pk}:{receipt['chain_head']['hash']}",
        case=case,
    )


def _filed_intro(case: ComplaintCase, *, language: str) -> str:
    """What was filed and what to do next: send the platform letter (included)."""

    case_url = settings.SITE_URL.rstrip("/") + reverse(
        "portal:case_detail", kwargs={"reference": case.reference}
    )
    intro = _(
        "Your complaint %(reference)s about %(platform)s order %(order)s is filed. "
        "Your case page: %(url)s"
    ) % {
        "reference": case.reference,
        "platform": case.order.platform.name,
        "order": case.order.order_number,
        "url": case_url,
    }
    letters = [d.body for d in tier_documents(case=case, tier=Tier.PLATFORM, language=language)]
    return "\n\n".join(
        [intro, _("What to do:"), tier_instructions(Tier.PLATFORM), "-" * 40, *letters]
    )
