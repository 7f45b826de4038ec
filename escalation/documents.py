"""Filing documents: what the complainant hands to each tier, generated from the case."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints.choices import ProblemType
from complaints.models import ComplaintCase
from complaints.records import record_amendments
from complaints.redaction import Recipient, case_keep
from evidence.models import EvidenceItem

# DOMAIN.md: the small-claims court is suggested above 500 yuan.
SMALL_CLAIMS_SUGGESTED_ABOVE = Decimal("500")

# Who reads each tier's document, so what of the complainant's own words it may carry. The
# 黑猫 part of the watchdog text is published and redacted for PUBLIC in the template; the
# legal tier's mediation part goes to a regulator or the consumer association, its court
# part to the court, which gets originals (民事诉讼法 art. 66).
TIER_RECIPIENTS = {
    "platform": Recipient.PLATFORM,
    "watchdog": Recipient.REGULATOR,
    "payment": Recipient.REGULATOR,
    "legal": Recipient.COURT,
}


def _evidence_items(case: ComplaintCase) -> list[Any]:
    return list(
        EvidenceItem.objects.filter(bundle__case=case, sealed_at__isnull=False).order_by(
            "uploaded_at", "pk"
        )
    )


@dataclass(frozen=True)
class FilingDocument:
    tier: str
    language: str
    title: str
    filename: str
    body: str
    content_type: str = "text/plain; charset=utf-8"


def document_render(
    *, case: ComplaintCase, tier: str | None = None, language: str = "zh-hans"
) -> FilingDocument:
    """The filing document for ``tier`` (the case's current tier by default) in ``language``.

    Templates live in templates/escalation/documents/<tier>.<language>.txt, one per tier
    and language, so that a lawyer can edit the wording without touching code.
    """
    tier = tier or case.tier
    with translation.override(language):
        context = {
            "case": case,
            "order": case.order,
            "platform": case.order.platform,
            "merchant": case.order.merchant,
            "complainant": case.complainant,
            "complainant_name": case.complainant.get_full_name() or case.complainant.username,
            # A case being previewed before filing has no stages or sealed evidence yet.
            "stages": list(case.stages.order_by("opened_at")) if case.pk else [],
            "evidence": _evidence_items(case) if case.pk else [],
            # Corrections since filing: the text above is the corrected one, and says so.
            "amendments": record_amendments(case) if case.pk else [],
            "card_key_case": case.problem_type == ProblemType.INVALID_CARD_KEY,
            "small_claims_suggested": Decimal(str(case.order.amount))
            > SMALL_CLAIMS_SUGGESTED_ABOVE,
            "today": timezone.localdate(),
            "recipient": TIER_RECIPIENTS.get(tier, Recipient.PUBLIC),
            "keep": case_keep(case),
        }
        body = render_to_string(f"escalation/documents/{tier}.{language}.txt", context)
        title = case.subject_line
    return FilingDocument(
        tier=tier,
        language=language,
        title=title,
        filename=f"{case.reference}-{tier}-{language}.txt",
        body=body.strip() + "\n",
    )
