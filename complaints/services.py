"""Changes to platforms, orders and cases. Views, admin, API and tasks all call these."""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import (
    LOST_ORDER_TYPES,
    CaseStatus,
    DemandKind,
    EventKind,
    OtherProceedings,
    ProblemType,
    RiskSignal,
    Urgency,
)
from .errors import InvalidInput
from .models import ComplaintCase, Merchant, Order, Platform, Profile, ReferenceCounter
from .timeline import event_append
from .transitions import case_transition


def money(value: Decimal | str | int) -> Decimal:
    """A money amount as Decimal with two places; floats are refused, they cannot hold cents."""
    if isinstance(value, float | bool):
        raise InvalidInput(
            fields={"amount": [_("Money must be given as a decimal string, not a float.")]}
        )
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidInput(
            fields={"amount": [_("Not an amount: %(value)s") % {"value": value}]}
        ) from exc
    if not amount.is_finite():
        raise InvalidInput(fields={"amount": [_("Not an amount: %(value)s") % {"value": value}]})
    return amount.quantize(Decimal("0.01"))


def moment_check(*, field: str, value: datetime | None, now: datetime | None = None) -> None:
    """A moment the complainant reports (payment, noticing the harm) cannot be in the future."""
    if value is not None and value > (now or timezone.now()):
        raise InvalidInput(fields={field: [_("This time is in the future.")]})


DEMAND_WITHIN_HOURS = (1, 720)  # a specific, time-bound demand: at most 30 days


def demand_check(
    *, kind: str, amount: Decimal | str | int | None, text: str, within_hours: int | None
) -> None:
    """The demand is specific and time-bound (DOMAIN.md: never "please fix it").

    Refund plus compensation names its amount; "other" says what it asks for; the
    deadline asked is between one hour and thirty days.
    """
    errors: dict[str, list[str]] = {}
    if kind not in DemandKind.values:
        errors["demand_kind"] = [_("Unknown demand.")]
    if kind == DemandKind.REFUND_COMPENSATION and amount in (None, ""):
        errors["demand_amount"] = [_("Say how much you ask for, refund plus compensation.")]
    if amount not in (None, "") and money(amount) < 0:
        errors["demand_amount"] = [_("The amount cannot be negative.")]
    if kind == DemandKind.OTHER and not (text or "").strip():
        errors["demand_text"] = [_("Say what you ask for.")]
    low, high = DEMAND_WITHIN_HOURS
    if within_hours is not None and not low <= within_hours <= high:
        errors["demand_within_hours"] = [
            _("Ask for a deadline between %(low)s and %(high)s hours.") % {"low": low, "high": high}
        ]
    if errors:
        raise InvalidInput(fields=errors)


# Words that mark a description as urgent (DOMAIN.md: urgent complaints are 【紧急投诉】 and
# get the 2-hour platform clock). "急" alone covers 紧急, 着急, 急用 and the like.
URGENT_WORDS = ("急", "urgent")


def urgency_suggestion(*, description: str, problem_type: str) -> str:
    """Why the wizard suggests "urgent" (the reason it pre-fills), or "" when it does not.

    A lost order (掉单) is urgent by nature: stalling on one can mean the platform is short
    of cash, so every hour counts (DOMAIN.md, seed 001). Otherwise the complainant's own
    words decide.
    """
    if problem_type in LOST_ORDER_TYPES:
        return str(ProblemType(problem_type).label)
    text = (description or "").casefold()
    if any(word in text for word in URGENT_WORDS):
        return _("The description says it is urgent.")
    return ""


def urgency_suggested(*, description: str, problem_type: str) -> bool:
    """Whether the wizard pre-selects "urgent": the text says so, or the order is lost."""
    return bool(urgency_suggestion(description=description, problem_type=problem_type))


def urgency_check(*, urgency: str, reason: str) -> None:
    """An urgent complaint says why: staff triage on it and the platform is asked for 2 h."""
    if urgency not in Urgency.values:
        raise InvalidInput(fields={"urgency": [_("Unknown urgency.")]})
    if urgency == Urgency.URGENT and not (reason or "").strip():
        raise InvalidInput(fields={"urgency_reason": [_("Say why the complaint is urgent.")]})


def risk_signals_check(*, problem_type: str, signals: Any) -> list[str]:
    """The risk-control signals as stored: known values, each once, in the vocabulary's order.

    They are asked only for a network error (a coupon, many orders in a short time or a new
    IP/device before the error points at risk-control rules, DOMAIN.md seed 000); for any
    other problem they would tell nothing, so they are refused rather than kept unasked.
    """
    values = list(signals or [])
    if any(not isinstance(v, str) or v not in RiskSignal.values for v in values):
        raise InvalidInput(fields={"risk_signals": [_("Unknown risk-control signal.")]})
    if values and problem_type != ProblemType.NETWORK_ERROR:
        raise InvalidInput(
            fields={"risk_signals": [_("These questions are for network-error complaints only.")]}
        )
    return [v for v in RiskSignal.values if v in values]


def other_proceedings_check(*, answer: str | None) -> str:
    """The answer to "is this dispute already before a court, an arbitrator, another agency
    or the consumer association?", or "" when unanswered (documents then ask, never assert:
    市场监督管理投诉举报处理暂行办法 art. 15 makes a "yes" inadmissible at 12315)."""
    answer = answer or ""
    if answer and answer not in OtherProceedings.values:
        raise InvalidInput(fields={"other_proceedings": [_("Answer yes, no or not sure.")]})
    return answer


# A phone number as typed: an optional leading "+", then 5 to 20 digits, spaces and the
# hyphens people type between groups, once the surrounding whitespace is trimmed; blank
# means none. Written for the
# untrimmed value so that the API's schema states this same rule (api.serializers).
PHONE_PATTERN = r"^\s*(?:\+[\d\s-]{4,19}[\d-]|[\d-][\d\s-]{3,18}[\d-])?\s*$"


def phone_check(*, phone: str | None, field: str = "phone") -> str:
    """A phone number as stored (trimmed), or "" when none is given; anything else than
    digits (with + and separators) is refused on ``field``. The profile page, the case
    page's questions and any other interface check phones here."""
    phone = (phone or "").strip()
    if not re.fullmatch(PHONE_PATTERN, phone):
        raise InvalidInput(fields={field: [_("Enter a phone number, digits only.")]})
    return phone


PROFILE_FIELDS = ("name", "phone", "address", "preferred_language")


def profile_update(*, user: Any, **changes: str) -> Profile:
    """Change the given fields of ``user``'s profile (created if missing); nothing is saved
    when any of them is refused, and each refusal names its field.

    Not part of any case's sealed record: the name, phone and address are who the
    complainant is today, which every document prints from here.
    """
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        try:
            clean = phone_check(phone=value) if name == "phone" else " ".join(str(value).split())
        except InvalidInput as exc:
            errors.update(exc.fields)
            continue
        setattr(profile, name, clean)
    try:
        full_clean(profile, exclude=["user", *errors])
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    profile.save()
    return profile


def reason_check(*, reason: str | None, field: str = "reason") -> str:
    """A reason that must be given: blank or whitespace is refused on ``field``."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={field: [_("Give a reason.")]})
    return reason


def full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    """Run the model's validation; its errors become the domain's field-level InvalidInput."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidInput(fields=exc.message_dict) from exc


def reference_next(*, year: int) -> str:
    """The next case reference of ``year``: KM-2026-000123.

    The counter row is created if missing and incremented by one UPDATE, which holds the
    row lock until the caller's transaction ends, so concurrent filings get consecutive,
    distinct numbers.
    """
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
    )
    ReferenceCounter.objects.filter(year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.filter(year=year).values_list("last_number", flat=True).get()
    return f"{settings.CASE_REFERENCE_PREFIX}-{year}-{number:06d}"


def collective_reference(*, pk: int, year: int) -> str:
    """A collective case's reference: KM-G-2026-000007, numbered by its row's id (unique
    across years; the year says when it was proposed)."""
    return f"{settings.CASE_REFERENCE_PREFIX}-G-{year}-{pk:06d}"


def platform_get_or_create(*, name: str, website: str = "") -> Platform:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(fields={"platform": [_("A platform name is required.")]})
    platform = Platform.objects.filter(name__iexact=name).first()
    if platform is None:
        platform = Platform(name=name, website=website)
        full_clean(platform)
        try:
            with transaction.atomic():
                platform.save()
        except IntegrityError:
            # Another filing named the same new platform a moment before and committed
            # first (the name is unique): both complaints are about that one platform.
            platform = Platform.objects.get(name=name)
    return platform


def order_create(
    *,
    owner: Any,
    platform: Platform,
    order_number: str,
    product_name: str,
    amount: Decimal | str | int,
    product_kind: str = "other",
    merchant: Merchant | None = None,
    supplier_name: str = "",
    merchant_on_bill: str = "",
    paid_at: datetime | None = None,
    payment_method: str = "other",
    payment_reference: str = "",
    status_seen: str = "",
) -> Order:
    """The order as the complainant saw it. ``supplier_name``: a third-party supplier the
    order page names; ``merchant_on_bill``: the payee (收款方) the payment bill shows, often
    a company other than the platform's brand, which the payment channel's dispute asks for
    as written there."""
    moment_check(field="paid_at", value=paid_at)
    if merchant is not None and merchant.platform_id != platform.pk:
        raise InvalidInput(fields={"merchant": [_("The merchant does not sell on this platform.")]})
    order = Order(
        owner=owner,
        platform=platform,
        merchant=merchant,
        supplier_name=" ".join(supplier_name.split()),
        merchant_on_bill=" ".join(merchant_on_bill.split()),
        order_number=order_number.strip(),
        product_name=product_name.strip(),
        product_kind=product_kind,
        amount=money(amount),
        paid_at=paid_at,
        payment_method=payment_method,
        payment_reference=payment_reference.strip(),
        status_seen=status_seen,
    )
    full_clean(order)
    order.save()
    return order


def case_assign(
    *,
    case: ComplaintCase,
    assignee: Any,
    actor: Any,
    now: datetime | None = None,
    reason: str = "",
) -> ComplaintCase:
    """Give the case to a staff member (first-responder responsibility: they own it).

    ``reason`` goes in the ASSIGNED event so the timeline can say why ("dispatch": smart
    dispatch at filing, actor None being the system)."""
    now = now or timezone.now()
    if assignee is not None and not assignee.is_staff:
        raise InvalidInput(fields={"assigned_to": [_("Only staff can be assigned a case.")]})
    with transaction.atomic():
        ComplaintCase.objects.filter(pk=case.pk).update(assigned_to=assignee, updated_at=now)
        case.assigned_to = assignee
        event_append(
            case=case,
            kind=EventKind.ASSIGNED,
            actor=actor,
            payload={
                "assignee": assignee.get_username() if assignee else None,
                **({"reason": reason} if reason else {}),
            },
            now=now,
        )
        if case.status == CaseStatus.SUBMITTED:
            case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=now)
    return case
