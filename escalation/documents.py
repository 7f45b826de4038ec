"""Filing documents: what the complainant hands to each tier, generated from the case."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.choices import DemandKind, EventKind, ProblemType
from complaints.models import ComplaintCase, Profile
from complaints.records import record_amendments
from complaints.redaction import Recipient, case_keep
from evidence.attribution import case_attribution_for
from evidence.models import EvidenceItem

# Goods delivered online that never arrived or cannot be used: not delivered in the sense
# of 电子商务法 art. 51.
DELIVERY_PROBLEMS = frozenset({ProblemType.INVALID_CARD_KEY, ProblemType.NOT_DELIVERED})
# 消费者权益保护法 art. 55: three times the price, at least 500 yuan.
TREBLE_MINIMUM = Decimal("500")


def treble_damages(case: ComplaintCase) -> Decimal | None:
    """The 消费者权益保护法 art. 55 damages the court text claims for an invalid card key,
    stated as an unconditional claim with its amount; None when the complainant's own
    demand already asks for compensation (never claimed twice) or the case is no card key."""
    if case.problem_type != ProblemType.INVALID_CARD_KEY:
        return None
    if case.demand_kind == DemandKind.REFUND_COMPENSATION:
        return None
    return max(Decimal(str(case.order.amount)) * 3, TREBLE_MINIMUM).quantize(Decimal("0.01"))


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
class RecordFacts:
    """What the record shows, so that a document states only that.

    ``contacted_platform``: the platform stage on which the complainant recorded filing
    with the platform (a date or a ticket number), else None: nobody may write "I
    complained to the platform on …" without it. ``platform_missed``: the platform's
    deadline passed with no answer accepted. ``steps_taken``: the tiers the case has left,
    oldest first, never the current one.
    """

    contacted_platform: Any
    platform_missed: bool
    answer_accepted: bool
    steps_taken: list[Any]


def record_facts(case: ComplaintCase, stages: list[Any]) -> RecordFacts:
    platform = next((s for s in stages if s.tier == "platform"), None)
    contacted = (
        platform
        if platform is not None and (platform.filed_at or platform.external_reference)
        else None
    )
    accepted = case.pk is not None and case.events.filter(kind=EventKind.RESPONSE_ACCEPTED).exists()
    missed = bool(
        platform is not None
        and platform.close_reason == "expired"
        and platform.responded_at is None
        and not accepted
    )
    steps = [s for s in stages if s.closed_at is not None and s.tier != case.tier]
    return RecordFacts(contacted, missed, accepted, steps)


def complainant_identity(case: ComplaintCase) -> tuple[str, str]:
    """(real name, phone) from the profile; the name in Chinese order (family name first)
    when only Django's first and last names are known. Empty when unknown: the document
    then asks for it instead of printing a login name."""
    user = case.complainant
    profile = Profile.objects.filter(user_id=user.pk).first()
    name = (profile.name if profile else "") or f"{user.last_name}{user.first_name}".strip()
    return name, (profile.phone if profile else "")


@dataclass(frozen=True)
class DocumentNeed:
    """A fact a tier's document cannot be produced without, and why it is asked."""

    field: str  # "name", "phone", "address" (the profile) or "other_proceedings" (the case)
    why: Promise


# 市场监督管理投诉举报处理暂行办法 art. 9: a complaint gives the complainant's name,
# phone number and postal address; art. 15 (4): a dispute already before a court, an
# arbitrator, another agency or the consumer association is not accepted.
_WATCHDOG_WHY = _("12315 accepts a complaint only with your name, phone and postal address.")
_PROCEEDINGS_WHY = _(
    "12315 and the consumer association do not take up a dispute that is already before a "
    "court, an arbitrator or another agency, so the document must say whether it is."
)
# 民事诉讼法 art. 124: the complaint names the plaintiff, with address and contact details.
_LEGAL_WHY = _("A court complaint names the plaintiff with address and a way to reach them.")
TIER_NEEDS: dict[str, tuple[tuple[str, Promise], ...]] = {
    "watchdog": (
        ("name", _WATCHDOG_WHY),
        ("phone", _WATCHDOG_WHY),
        ("address", _WATCHDOG_WHY),
        ("other_proceedings", _PROCEEDINGS_WHY),
    ),
    "legal": (
        ("name", _LEGAL_WHY),
        ("phone", _LEGAL_WHY),
        ("address", _LEGAL_WHY),
        ("other_proceedings", _PROCEEDINGS_WHY),
    ),
}


def document_needs(case: ComplaintCase, tier: str | None = None) -> list[DocumentNeed]:
    """What the complainant must still tell before ``tier``'s document (the current tier's
    by default) states only true things; empty when nothing is missing. The portal asks for
    each with its reason; the document never prints a placeholder for them."""
    tier = tier or case.tier
    profile = Profile.objects.filter(user_id=case.complainant_id).first()
    name, phone = complainant_identity(case)
    known = {
        "name": name,
        "phone": phone,
        "address": profile.address if profile else "",
        "other_proceedings": case.other_proceedings,
    }
    return [DocumentNeed(field, why) for field, why in TIER_NEEDS.get(tier, ()) if not known[field]]


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
    stages = list(case.stages.order_by("opened_at")) if case.pk else []
    name, phone = complainant_identity(case)
    with translation.override(language):
        context = {
            "case": case,
            "order": case.order,
            "platform": case.order.platform,
            "merchant": case.order.merchant,
            "complainant": case.complainant,
            "complainant_name": name,
            "complainant_phone": phone,
            # A case being previewed before filing has no stages or sealed evidence yet.
            "stages": stages,
            "facts": record_facts(case, stages),
            "evidence": _evidence_items(case) if case.pk else [],
            # Who the network evidence points at; printed only when there is some.
            "attribution": case_attribution_for(case),
            # Corrections since filing: the text above is the corrected one, and says so.
            "amendments": record_amendments(case) if case.pk else [],
            "card_key_case": case.problem_type == ProblemType.INVALID_CARD_KEY,
            "delivery_case": case.problem_type in DELIVERY_PROBLEMS,
            "treble_damages": treble_damages(case),
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
