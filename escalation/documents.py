"""Filing documents: what the complainant hands to each tier, generated from the case.

Each tier has its forms (``TIER_FORMS``): the platform a letter; the watchdogs the 12315
complaint and the 黑猫投诉 public text; the payment channel one dispute text, the one of the
channel the order was paid through; the legal tier a consumer-association mediation request
and a small-claims complaint. Each form has its reader (``FORM_RECIPIENTS``), whose
redaction policy it is rendered through, and states only what the record shows
(``RecordFacts``).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from dateutil.relativedelta import relativedelta
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.choices import (
    LOST_ORDER_TYPES,
    OPEN_STATUSES,
    DemandKind,
    EventKind,
    PaymentMethod,
    ProblemType,
)
from complaints.models import ComplaintCase, Profile
from complaints.records import record_amendments
from complaints.redaction import Recipient, case_keep
from complaints.tiers import Tier
from evidence.attribution import case_attribution_for
from evidence.models import EvidenceItem, EvidenceKind

from .selectors import LIMITATION_YEARS

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


@dataclass(frozen=True)
class FormSpec:
    """One form a tier's reader asks for: its slug, its label, who reads it (the redaction
    policy it is rendered through) and which of ``TIER_NEEDS``' facts it prints."""

    slug: str
    tier: str
    label: Promise
    recipient: Recipient
    needs: tuple[str, ...] = ()


_IDENTITY = ("name", "phone", "address")
FORMS: dict[str, FormSpec] = {
    spec.slug: spec
    for spec in (
        FormSpec(
            "letter", Tier.PLATFORM, _("Complaint letter to the platform"), Recipient.PLATFORM
        ),
        # 市场监督管理投诉举报处理暂行办法 art. 9 (who complains, against whom, what) and
        # art. 15 (not when the dispute is in another procedure).
        FormSpec(
            "12315",
            Tier.WATCHDOG,
            _("12315 complaint form"),
            Recipient.REGULATOR,
            (*_IDENTITY, "other_proceedings"),
        ),
        # Published for anyone: everything secret masked.
        FormSpec("heimao", Tier.WATCHDOG, _("Black Cat public text"), Recipient.PUBLIC),
        FormSpec("alipay", Tier.PAYMENT, _("Alipay transaction complaint"), Recipient.REGULATOR),
        FormSpec(
            "wechat-pay", Tier.PAYMENT, _("WeChat Pay transaction complaint"), Recipient.REGULATOR
        ),
        FormSpec(
            "chargeback",
            Tier.PAYMENT,
            _("Card dispute (chargeback) request to the issuing bank"),
            Recipient.REGULATOR,
        ),
        FormSpec(
            "payment-other",
            Tier.PAYMENT,
            _("Payment-channel complaint (channel not identified)"),
            Recipient.REGULATOR,
        ),
        # 消费者权益保护法 art. 37, 39: the consumer association mediates.
        FormSpec(
            "mediation",
            Tier.LEGAL,
            _("Mediation request to the consumer association"),
            Recipient.REGULATOR,
            (*_IDENTITY, "other_proceedings"),
        ),
        # 民事诉讼法 art. 124: the plaintiff with address and contact; the court gets the
        # originals (民事诉讼法 art. 73: documentary evidence in the original).
        FormSpec(
            "small-claims",
            Tier.LEGAL,
            _("Civil complaint (small-claims procedure)"),
            Recipient.COURT,
            _IDENTITY,
        ),
    )
}
# Who reads each form, so what of the complainant's own words it may carry.
FORM_RECIPIENTS: dict[str, Recipient] = {slug: spec.recipient for slug, spec in FORMS.items()}
# The forms of each tier, in the order they are shown; the payment tier shows one of its
# forms, the one of the channel the order was paid through (``tier_forms``).
TIER_FORMS: dict[str, tuple[str, ...]] = {
    Tier.PLATFORM: ("letter",),
    Tier.WATCHDOG: ("12315", "heimao"),
    Tier.PAYMENT: ("alipay", "wechat-pay", "chargeback", "payment-other"),
    Tier.LEGAL: ("mediation", "small-claims"),
}
PAYMENT_FORMS: dict[str, str] = {
    PaymentMethod.ALIPAY: "alipay",
    PaymentMethod.WECHAT_PAY: "wechat-pay",
    PaymentMethod.BANK_CARD: "chargeback",
}
# Who a tier's evidence package is for by default: the reader of the tier's main form; at
# the legal tier the court, which gets the originals (民事诉讼法 art. 73), not the mediator.
TIER_RECIPIENTS: dict[str, Recipient] = {
    Tier.PLATFORM: Recipient.PLATFORM,
    Tier.WATCHDOG: Recipient.REGULATOR,
    Tier.PAYMENT: Recipient.REGULATOR,
    Tier.LEGAL: Recipient.COURT,
}


def tier_forms(case: ComplaintCase, tier: str | None = None) -> list[FormSpec]:
    """The forms of ``tier`` (the case's current tier by default) for this case."""
    tier = tier or case.tier
    if tier == Tier.PAYMENT:
        return [FORMS[PAYMENT_FORMS.get(case.order.payment_method, "payment-other")]]
    return [FORMS[slug] for slug in TIER_FORMS[tier]]


# Where a filing or an answer was made, as the documents name it.
PLACES: dict[str, Promise] = {
    Tier.PLATFORM: _("the platform"),
    Tier.WATCHDOG: _("12315 or Black Cat"),
    Tier.PAYMENT: _("the payment channel"),
    Tier.LEGAL: _("a mediator or the court"),
}

# What the payment channel and the issuing bank are told the dispute is about.
DISPUTE_REASONS: dict[str, Promise] = {
    ProblemType.NETWORK_ERROR: _(
        "Paid, goods or service not received (the order failed with a network error)"
    ),
    ProblemType.LOST_ORDER_UNSYNCED: _("Paid, goods or service not received (lost order)"),
    ProblemType.LOST_ORDER_STUCK: _("Paid, goods or service not received (order stuck)"),
    ProblemType.LOST_ORDER_VANISHED: _(
        "Paid, goods or service not received (the order record vanished)"
    ),
    ProblemType.INVALID_CARD_KEY: _(
        "Goods unusable: the card key delivered is invalid or already used"
    ),
    ProblemType.NOT_DELIVERED: _("Goods not received or not as described"),
    ProblemType.COMPLAINT_IGNORED: _("The merchant ignores the complaint about this payment"),
}

# What each kind of evidence proves, for the court's list of evidence (证明目的).
EVIDENCE_PURPOSES: dict[str, Promise] = {
    EvidenceKind.PAYMENT_VOUCHER: _("the payment: amount, payee and time"),
    EvidenceKind.ORDER_RECORD: _("the order and its status"),
    EvidenceKind.ERROR_SCREENSHOT: _("the error the platform showed"),
    EvidenceKind.CHAT_LOG: _("the complaint to customer service and its answers"),
    EvidenceKind.NETWORK_LOG: _("the requests to the platform's server and their replies"),
    EvidenceKind.NETWORK_DIAGNOSTICS: _("the state of the network connection at the time"),
    EvidenceKind.SCREEN_RECORDING: _("the steps taken and what the site showed"),
    EvidenceKind.BANK_STATEMENT: _("the payment as the bank or payment provider states it"),
}


def _evidence_items(case: ComplaintCase) -> list[Any]:
    return list(
        EvidenceItem.objects.filter(bundle__case=case, sealed_at__isnull=False).order_by(
            "uploaded_at", "pk"
        )
    )


@dataclass(frozen=True)
class RecordedFiling:
    """The complainant recorded filing at a tier (a date, a number): a demand that
    interrupts the limitation period (民法典 art. 195)."""

    tier: str
    place: Promise
    at: datetime
    reference: str


@dataclass(frozen=True)
class RecordedAnswer:
    """An answer recorded on the case: who answered (the tier), when and what."""

    tier: str
    place: Promise
    at: datetime
    text: str


@dataclass(frozen=True)
class RecordFacts:
    """What the record shows, so that a document states only that.

    ``contacted_platform``: the platform stage on which the complainant recorded filing
    with the platform (a date or a ticket number), else None: nobody may write "I
    complained to the platform on …" without it. ``platform_missed``: the platform's
    deadline passed with no answer at all. ``platform_expired``: a platform deadline
    passed with no answer accepted (answered or not). ``steps_taken``: the tiers the case
    has left, oldest first, never the current one. ``filings`` and ``answers``: those
    recorded at the tiers before the current one, oldest first.
    """

    contacted_platform: Any
    platform_missed: bool
    answer_accepted: bool
    steps_taken: list[Any]
    platform_expired: bool = False
    filings: tuple[RecordedFiling, ...] = ()
    answers: tuple[RecordedAnswer, ...] = ()


def record_facts(case: ComplaintCase, stages: list[Any]) -> RecordFacts:
    platform = next((s for s in stages if s.tier == "platform"), None)
    contacted = (
        platform
        if platform is not None and (platform.filed_at or platform.external_reference)
        else None
    )
    accepted = case.pk is not None and case.events.filter(kind=EventKind.RESPONSE_ACCEPTED).exists()
    expired = bool(platform is not None and platform.close_reason == "expired" and not accepted)
    missed = expired and platform is not None and platform.responded_at is None
    steps = [s for s in stages if s.closed_at is not None and s.tier != case.tier]
    filings = tuple(
        RecordedFiling(s.tier, PLACES[s.tier], s.filed_at, s.external_reference)
        for s in sorted(stages, key=lambda s: s.filed_at or s.opened_at)
        if s.filed_at is not None and s.tier != case.tier
    )
    answers: tuple[RecordedAnswer, ...] = ()
    if case.pk is not None:
        answers = tuple(
            RecordedAnswer(
                str(e.payload.get("tier", "")),
                PLACES.get(str(e.payload.get("tier", "")), PLACES[Tier.PLATFORM]),
                e.created_at,
                str(e.payload.get("text") or ""),
            )
            for e in case.events.filter(kind=EventKind.RESPONSE_RECORDED).order_by("seq")
            if e.payload.get("tier") in PLACES and e.payload.get("tier") != case.tier
        )
    return RecordFacts(contacted, missed, accepted, steps, expired, filings, answers)


class Identity(NamedTuple):
    """Who the complainant is, as the documents name them; empty strings when unknown."""

    name: str
    phone: str
    address: str


def complainant_identity(case: ComplaintCase) -> Identity:
    """Real name, phone and postal address from the profile; the name in Chinese order
    (family name first) when only Django's first and last names are known. Empty when
    unknown: the document then says what is missing instead of printing a login name."""
    user = case.complainant
    profile = Profile.objects.filter(user_id=user.pk).first()
    name = (profile.name if profile else "") or f"{user.last_name}{user.first_name}".strip()
    return Identity(name, profile.phone if profile else "", profile.address if profile else "")


@dataclass(frozen=True)
class DocumentNeed:
    """A fact a tier's document cannot be produced without, and why it is asked."""

    field: str  # "name", "phone", "address" (the profile) or "other_proceedings" (the case)
    why: Promise


# 市场监督管理投诉举报处理暂行办法 art. 9: a complaint gives the complainant's name,
# phone number and postal address; art. 15: a dispute already before a court, an
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
# How a document names a missing fact in its first line.
NEED_LABELS: dict[str, Promise] = {
    "name": _("your real name"),
    "phone": _("your phone number"),
    "address": _("your postal address"),
    "other_proceedings": _(
        "whether the dispute is already before a court, an arbitrator, another agency or the "
        "consumer association"
    ),
}


def document_needs(case: ComplaintCase, tier: str | None = None) -> list[DocumentNeed]:
    """What the complainant must still tell before ``tier``'s document (the current tier's
    by default) states only true things; empty when nothing is missing. The portal asks for
    each with its reason; the document never prints a placeholder for them."""
    tier = tier or case.tier
    identity = complainant_identity(case)
    known = {
        "name": identity.name,
        "phone": identity.phone,
        "address": identity.address,
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
    form: str = ""
    form_label: str = ""
    recipient: str = ""


class UnknownForm(LookupError):
    """The form asked for is not one of the tier's forms for this case."""


def _base_context(case: ComplaintCase, tier: str) -> dict[str, Any]:
    """What every form of ``tier`` is rendered from (in the active language)."""
    stages = list(case.stages.order_by("opened_at")) if case.pk else []
    identity = complainant_identity(case)
    today = timezone.localdate()
    noticed = timezone.localdate(case.harm_noticed_at) if case.harm_noticed_at else None
    order = case.order
    refund = (
        case.demand_amount
        if case.demand_kind == DemandKind.REFUND and case.demand_amount
        else order.amount
    )
    return {
        "case": case,
        "order": order,
        "platform": order.platform,
        "merchant": order.merchant,
        "complainant": case.complainant,
        "complainant_name": identity.name,
        "complainant_phone": identity.phone,
        "complainant_address": identity.address,
        # A case being previewed before filing has no stages or sealed evidence yet.
        "stages": stages,
        "facts": record_facts(case, stages),
        "evidence": _evidence_items(case) if case.pk else [],
        # Who the network evidence points at; printed only when there is some.
        "attribution": case_attribution_for(case),
        # Corrections since filing: the text above is the corrected one, and says so.
        "amendments": record_amendments(case) if case.pk else [],
        # "The defendant has still not performed" only while the case is open.
        "case_open": case.status in OPEN_STATUSES,
        "card_key_case": case.problem_type == ProblemType.INVALID_CARD_KEY,
        "delivery_case": case.problem_type in DELIVERY_PROBLEMS,
        "lost_order_case": case.problem_type in LOST_ORDER_TYPES,
        "treble_damages": treble_damages(case),
        "refund_amount": refund,
        # A chargeback recovers at most what the transaction took.
        "chargeback_amount": min(Decimal(str(refund)), Decimal(str(order.amount))),
        "dispute_reason": DISPUTE_REASONS.get(case.problem_type, ""),
        "small_claims_suggested": Decimal(str(order.amount)) > SMALL_CLAIMS_SUGGESTED_ABOVE,
        # 市场监督管理投诉举报处理暂行办法 art. 15: not accepted three years after the harm
        # was known (民法典 art. 188 runs the same three years, restarted by art. 195).
        "harm_noticed_on": noticed,
        "within_limitation": noticed is None
        or today < noticed + relativedelta(years=LIMITATION_YEARS),
        "today": today,
        "keep": case_keep(case),
    }


def _render(
    case: ComplaintCase, spec: FormSpec, language: str, base: dict[str, Any]
) -> FilingDocument:
    missing = {need.field for need in document_needs(case, spec.tier)} & set(spec.needs)
    context = {
        **base,
        "form": spec.slug,
        "recipient": spec.recipient,
        # The facts this form prints that the complainant has not told yet: named in the
        # form's first line, never filled with a placeholder.
        "missing": missing,
        "needs": [str(NEED_LABELS[field]) for field in spec.needs if field in missing],
    }
    body = render_to_string(f"escalation/documents/{spec.tier}/{spec.slug}.{language}.txt", context)
    return FilingDocument(
        tier=spec.tier,
        language=language,
        title=case.subject_line,
        filename=f"{case.reference}-{spec.tier}-{spec.slug}-{language}.txt",
        body=body.strip() + "\n",
        form=spec.slug,
        form_label=str(spec.label),
        recipient=spec.recipient.value,
    )


def tier_documents(
    *, case: ComplaintCase, tier: str | None = None, language: str = "zh-hans"
) -> list[FilingDocument]:
    """Every form of ``tier`` (the case's current tier by default) in ``language``.

    Templates live in templates/escalation/documents/<tier>/<form>.<language>.txt, one per
    form and language, so that a lawyer can edit the wording without touching code.
    """
    tier = tier or case.tier
    with translation.override(language):
        base = _base_context(case, tier)
        return [_render(case, spec, language, base) for spec in tier_forms(case, tier)]


def document_render(
    *,
    case: ComplaintCase,
    tier: str | None = None,
    language: str = "zh-hans",
    form: str | None = None,
) -> FilingDocument:
    """One form of ``tier`` in ``language``: ``form`` (its slug), else the tier's first.

    ``tier`` defaults to the form's own tier, else the case's current tier. Raises
    UnknownForm when ``form`` is not one of that tier's forms for this case (the payment
    tier's form is the one of the order's payment channel).
    """
    if form is not None and form in FORMS and tier is None:
        tier = FORMS[form].tier
    tier = tier or case.tier
    specs = tier_forms(case, tier)
    spec = specs[0] if form is None else next((s for s in specs if s.slug == form), None)
    if spec is None:
        raise UnknownForm(form)
    with translation.override(language):
        return _render(case, spec, language, _base_context(case, tier))
