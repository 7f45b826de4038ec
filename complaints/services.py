"""Changes to platforms, orders and cases. Views, admin, API and tasks all call these."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.ladder import Tier

from .choices import CaseStatus, DemandKind, EventKind, ProblemType, ResolutionOutcome, Urgency
from .errors import InvalidInput
from .models import ComplaintCase, Merchant, Order, Platform, ReferenceCounter
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


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
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


def platform_get_or_create(*, name: str, website: str = "") -> Platform:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(fields={"platform": [_("A platform name is required.")]})
    platform = Platform.objects.filter(name__iexact=name).first()
    if platform is None:
        platform = Platform(name=name, website=website)
        _full_clean(platform)
        platform.save()
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
    paid_at: datetime | None = None,
    payment_method: str = "other",
    payment_reference: str = "",
    status_seen: str = "",
) -> Order:
    if merchant is not None and merchant.platform_id != platform.pk:
        raise InvalidInput(fields={"merchant": [_("The merchant does not sell on this platform.")]})
    order = Order(
        owner=owner,
        platform=platform,
        merchant=merchant,
        supplier_name=supplier_name,
        order_number=order_number.strip(),
        product_name=product_name.strip(),
        product_kind=product_kind,
        amount=money(amount),
        paid_at=paid_at,
        payment_method=payment_method,
        payment_reference=payment_reference.strip(),
        status_seen=status_seen,
    )
    _full_clean(order)
    order.save()
    return order


def case_file(
    *,
    complainant: Any,
    order: Order,
    problem_type: str,
    description: str,
    demand_kind: str,
    demand_text: str = "",
    demand_amount: Decimal | str | int | None = None,
    demand_within_hours: int = 24,
    urgency: str = Urgency.NORMAL,
    harm_noticed_at: datetime | None = None,
    bundle: Any = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """File a complaint: the case, its evidence bundle, the platform stage and the first event.

    ``bundle`` is the evidence collected while writing the complaint; it is attached and
    sealed. All or nothing: a filed complaint always has a reference, a timeline and a
    running clock.
    """
    from escalation.services import stage_open
    from evidence.services import bundle_attach, bundle_create

    now = now or timezone.now()
    if order.owner_id != complainant.pk:
        raise InvalidInput(fields={"order": [_("This order belongs to someone else.")]})
    if problem_type not in ProblemType.values:
        raise InvalidInput(fields={"problem_type": [_("Unknown problem type.")]})
    if demand_kind not in DemandKind.values:
        raise InvalidInput(fields={"demand_kind": [_("Unknown demand.")]})
    case = ComplaintCase(
        complainant=complainant,
        order=order,
        problem_type=problem_type,
        description=description.strip(),
        demand_kind=demand_kind,
        demand_text=demand_text.strip(),
        demand_amount=money(demand_amount) if demand_amount not in (None, "") else None,
        demand_within_hours=demand_within_hours,
        urgency=urgency,
        harm_noticed_at=harm_noticed_at or now,
        status=CaseStatus.SUBMITTED,
        tier=Tier.PLATFORM,
        created_at=now,
        updated_at=now,
    )
    _full_clean(case, exclude=["reference"])
    with transaction.atomic():
        case.reference = reference_next(year=timezone.localtime(now).year)
        case.save()
        stage_open(case=case, tier=Tier.PLATFORM, now=now)
        event_append(
            case=case,
            kind=EventKind.FILED,
            actor=complainant,
            payload={
                "reference": case.reference,
                "problem_type": problem_type,
                "order_number": order.order_number,
                "amount": order.amount,
            },
            now=now,
        )
        bundle_attach(
            bundle=bundle or bundle_create(owner=complainant, now=now), case=case, now=now
        )
    return case


def case_assign(
    *, case: ComplaintCase, assignee: Any, actor: Any, now: datetime | None = None
) -> ComplaintCase:
    """Give the case to a staff member (first-responder responsibility: they own it)."""
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
            payload={"assignee": assignee.get_username() if assignee else None},
            now=now,
        )
        if case.status == CaseStatus.SUBMITTED:
            case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=now)
    return case


def case_resolve(
    *, case: ComplaintCase, outcome: str, actor: Any, note: str = "", now: datetime | None = None
) -> ComplaintCase:
    """The case ended with ``outcome``; its clocks stop."""
    from escalation.models import StageCloseReason
    from escalation.services import stage_close_open

    now = now or timezone.now()
    if outcome not in ResolutionOutcome.values:
        raise InvalidInput(fields={"outcome": [_("Unknown outcome.")]})
    with transaction.atomic():
        case_transition(
            case=case,
            to_status=CaseStatus.RESOLVED,
            actor=actor,
            event_kind=EventKind.RESOLVED,
            payload={"outcome": outcome, "note": note},
            now=now,
            extra_fields={"resolution_outcome": outcome},
        )
        stage_close_open(case=case, reason=StageCloseReason.RESOLVED, now=now)
    return case


def case_withdraw(
    *, case: ComplaintCase, actor: Any, reason: str = "", now: datetime | None = None
) -> ComplaintCase:
    """The complainant gives up the case; its evidence and timeline are kept."""
    from escalation.models import StageCloseReason
    from escalation.services import stage_close_open

    now = now or timezone.now()
    with transaction.atomic():
        case_transition(
            case=case,
            to_status=CaseStatus.WITHDRAWN,
            actor=actor,
            event_kind=EventKind.WITHDRAWN,
            payload={"reason": reason},
            now=now,
        )
        stage_close_open(case=case, reason=StageCloseReason.WITHDRAWN, now=now)
    return case


# --- responses, evidence requests and clocks ----------------------------------------------
# Owned by the escalation part. Each service locks the case row (through the status
# transition or the stage helpers) before touching the stage, the lock order the sweep
# relies on.

RESPONSE_SOURCES = ("staff", "respondent", "complainant")


def _message(name: str) -> str:
    from escalation import messages

    return str(getattr(messages, name))


def _open_statuses() -> frozenset[str]:
    from .choices import OPEN_STATUSES

    return OPEN_STATUSES


def _invalid_transition() -> Exception:
    from .errors import InvalidTransition

    return InvalidTransition()


def _require_complainant(case: ComplaintCase, actor: Any) -> None:
    from .errors import NotFound

    if getattr(actor, "pk", None) != case.complainant_id:
        raise NotFound()


def case_record_response(
    *, case: ComplaintCase, actor: Any, source: str, text: str = "", now: datetime | None = None
) -> ComplaintCase:
    """A response arrived at the current tier: the first-response clock stops.

    The update and resolution clocks run on: an acknowledgement is not a resolution.
    """
    from escalation.services import stage_record_response

    now = now or timezone.now()
    if source not in RESPONSE_SOURCES:
        raise InvalidInput(fields={"source": [_message("UNKNOWN_RESPONSE_SOURCE")]})
    if source == "complainant":
        _require_complainant(case, actor)
    with transaction.atomic():
        stage = stage_record_response(case=case, now=now)
        payload = {"source": source, "text": text.strip(), "tier": case.tier}
        if case.status in (CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS):
            case_transition(
                case=case,
                to_status=CaseStatus.RESPONDED,
                actor=actor,
                event_kind=EventKind.RESPONSE_RECORDED,
                payload=payload,
                now=now,
            )
        elif stage is not None:
            event_append(
                case=case, kind=EventKind.RESPONSE_RECORDED, actor=actor, payload=payload, now=now
            )
        else:
            raise _invalid_transition()
        if source != "complainant":
            from escalation.notifications import response_received_notify

            response_received_notify(case=case, text=text, now=now)
    return case


def case_accept_response(
    *, case: ComplaintCase, actor: Any, now: datetime | None = None
) -> ComplaintCase:
    """The complainant accepts the response; they mark the case resolved once it is carried out."""
    now = now or timezone.now()
    _require_complainant(case, actor)
    if case.status != CaseStatus.RESPONDED:
        raise _invalid_transition()
    event_append(case=case, kind=EventKind.RESPONSE_ACCEPTED, actor=actor, now=now)
    return case


def case_reject_response(
    *, case: ComplaintCase, actor: Any, reason: str = "", now: datetime | None = None
) -> ComplaintCase:
    """The response does not meet the demand: back to in progress, the clocks run on."""
    now = now or timezone.now()
    _require_complainant(case, actor)
    if case.status != CaseStatus.RESPONDED:
        raise _invalid_transition()
    case_transition(
        case=case,
        to_status=CaseStatus.IN_PROGRESS,
        actor=actor,
        event_kind=EventKind.RESPONSE_REJECTED,
        payload={"reason": reason.strip()},
        now=now,
    )
    return case


def case_request_evidence(
    *, case: ComplaintCase, actor: Any, message: str, now: datetime | None = None
) -> ComplaintCase:
    """Staff ask the complainant for more evidence; the clocks pause until they answer."""
    from escalation.services import stage_pause

    now = now or timezone.now()
    if not message.strip():
        raise InvalidInput(fields={"message": [_message("EVIDENCE_REQUEST_EMPTY")]})
    with transaction.atomic():
        case_transition(
            case=case,
            to_status=CaseStatus.AWAITING_COMPLAINANT,
            actor=actor,
            event_kind=EventKind.EVIDENCE_REQUESTED,
            payload={"message": message.strip()},
            now=now,
        )
        stage_pause(case=case, now=now)
    return case


def case_message(
    *, case: ComplaintCase, actor: Any, text: str, now: datetime | None = None
) -> ComplaintCase:
    """The complainant writes: the update clock restarts; a paused case resumes."""
    from escalation.services import stage_restart_update_clock, stage_resume

    now = now or timezone.now()
    _require_complainant(case, actor)
    if not text.strip():
        raise InvalidInput(fields={"text": [_message("MESSAGE_EMPTY")]})
    if case.status not in _open_statuses():
        raise _invalid_transition()
    with transaction.atomic():
        event_append(
            case=case, kind=EventKind.MESSAGE, actor=actor, payload={"text": text.strip()}, now=now
        )
        if case.status == CaseStatus.AWAITING_COMPLAINANT:
            case_transition(case=case, to_status=CaseStatus.IN_PROGRESS, actor=actor, now=now)
            stage_resume(case=case, now=now)
        stage_restart_update_clock(case=case, now=now)
    return case


def case_record_external_reference(
    *, case: ComplaintCase, actor: Any, reference: str, now: datetime | None = None
) -> ComplaintCase:
    """The number the current tier gave the complaint; its date interrupts the limitation period."""
    from escalation.services import stage_record_filing

    now = now or timezone.now()
    reference = reference.strip()
    if not reference:
        raise InvalidInput(fields={"reference": [_message("REFERENCE_EMPTY")]})
    with transaction.atomic():
        stage = stage_record_filing(case=case, reference=reference, now=now)
        if stage is None:
            raise _invalid_transition()
        event_append(
            case=case,
            kind=EventKind.EXTERNAL_REFERENCE,
            actor=actor,
            payload={"tier": stage.tier, "reference": reference, "filed_at": stage.filed_at},
            now=now,
        )
    return case


def case_escalate_by_staff(
    *, case: ComplaintCase, actor: Any, now: datetime | None = None
) -> ComplaintCase:
    """Staff move the case up a tier before its deadline (needs complaints.escalate_case)."""
    from escalation.sweep import case_escalate

    from .errors import NotFound

    now = now or timezone.now()
    if not (getattr(actor, "is_staff", False) and actor.has_perm("complaints.escalate_case")):
        raise NotFound()
    case_escalate(case=case, actor=actor, now=now)
    return case
