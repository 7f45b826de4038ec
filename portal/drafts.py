"""Filing drafts: the wizard's memory, and turning a finished draft into a filed case."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from casework.actions import case_file
from complaints.choices import Urgency
from complaints.errors import InvalidInput, NotFound
from complaints.models import ComplaintCase
from complaints.services import order_create, platform_get_or_create, urgency_suggestion
from evidence.services import bundle_create

from .models import FilingDraft

STEPS = (1, 2, 3, 4, 5)
LAST_STEP = STEPS[-1]
# Which step asks for each field, so that a service's complaint lands next to the field.
FIELD_STEP = {
    "platform": 1,
    "order_number": 1,
    "product_name": 1,
    "product_kind": 1,
    "amount": 1,
    "paid_at": 1,
    "payment_method": 1,
    "payment_reference": 1,
    "status_seen": 1,
    "merchant_on_bill": 1,
    "supplier_name": 1,
    "order": 1,
    "problem_type": 2,
    "description": 2,
    "harm_noticed_at": 2,
    "risk_signals": 2,
    "bundle": 3,
    "demand_kind": 4,
    "demand_amount": 4,
    "demand_within_hours": 4,
    "demand_text": 4,
    "urgency": 4,
    "urgency_reason": 4,
    "other_proceedings": 4,
}


def draft_current(*, owner: Any, now: datetime | None = None) -> FilingDraft:
    """The owner's unfinished draft, or a new one with an empty evidence bundle."""
    draft = (
        FilingDraft.objects.select_related("bundle")
        .filter(owner=owner, case__isnull=True)
        .order_by("-updated_at")
        .first()
    )
    if draft is not None:
        return draft
    now = now or timezone.now()
    with transaction.atomic():
        bundle = bundle_create(owner=owner, now=now)
        return FilingDraft.objects.create(
            owner=owner, bundle=bundle, created_at=now, updated_at=now
        )


def draft_save_step(
    *, draft: FilingDraft, step: int, answers: dict[str, Any], reached: int | None = None
) -> FilingDraft:
    """Keep the answers of ``step`` exactly as typed; ``reached`` moves the furthest step on."""
    if step not in STEPS:
        raise InvalidInput(fields={"step": ["Unknown step."]})
    draft.data = {**draft.data, str(step): answers}
    if reached is not None:
        draft.step = max(draft.step, min(reached, LAST_STEP))
    draft.updated_at = timezone.now()
    FilingDraft.objects.filter(pk=draft.pk, case__isnull=True).update(
        data=draft.data, step=draft.step, updated_at=draft.updated_at
    )
    return draft


def _aware(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def compose_description(*, description: str, timeline: str, timeline_heading: str) -> str:
    """The complaint text: the complainant's account, then their timeline if they gave one."""
    description = description.strip()
    if timeline.strip():
        return f"{description}\n\n{timeline_heading}\n{timeline.strip()}"
    return description


def draft_submit(
    *,
    draft: FilingDraft,
    actor: Any,
    order: dict[str, Any],
    problem: dict[str, Any],
    demand: dict[str, Any],
    timeline_heading: str,
    now: datetime | None = None,
) -> ComplaintCase:
    """File the draft: the platform, the order and the case with the draft's evidence.

    ``order``, ``problem`` and ``demand`` are the cleaned answers of steps 1, 2 and 4.
    All or nothing, and the draft row is locked so a double click files one case.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = FilingDraft.objects.select_for_update().filter(pk=draft.pk).first()
        if locked is None or locked.owner_id != actor.pk:
            raise NotFound()
        if locked.case is not None:
            return locked.case
        platform = platform_get_or_create(name=order["platform"])
        filed_order = order_create(
            owner=actor,
            platform=platform,
            order_number=order["order_number"],
            product_name=order["product_name"],
            product_kind=order["product_kind"],
            amount=order["amount"],
            paid_at=_aware(order.get("paid_at")),
            payment_method=order["payment_method"],
            payment_reference=order.get("payment_reference") or "",
            status_seen=order.get("status_seen") or "",
            merchant_on_bill=order.get("merchant_on_bill") or "",
            supplier_name=order.get("supplier_name") or "",
        )
        case = case_file(
            complainant=actor,
            order=filed_order,
            problem_type=problem["problem_type"],
            description=compose_description(
                description=problem["description"],
                timeline=problem.get("timeline") or "",
                timeline_heading=timeline_heading,
            ),
            demand_kind=demand["demand_kind"],
            demand_text=demand.get("demand_text") or "",
            demand_amount=demand.get("demand_amount"),
            demand_within_hours=demand["demand_within_hours"],
            urgency=demand.get("urgency") or Urgency.NORMAL,
            urgency_reason=demand.get("urgency_reason") or "",
            harm_noticed_at=_aware(problem.get("harm_noticed_at")),
            risk_signals=problem.get("risk_signals") or [],
            other_proceedings=demand.get("other_proceedings") or "",
            bundle=locked.bundle,
            now=now,
        )
        FilingDraft.objects.filter(pk=locked.pk).update(case=case, updated_at=now, step=LAST_STEP)
        draft.case = case
    return case


def draft_get_for_user(user: Any, *, pk: int) -> FilingDraft:
    draft = FilingDraft.objects.filter(pk=pk, owner=user).first()
    if draft is None:
        raise NotFound()
    return draft


def draft_urgency_suggestion(draft: FilingDraft) -> str:
    """Why step 4 pre-selects "urgent" (pre-filled as the reason), from what step 2 says;
    "" when it does not (complaints.services.urgency_suggestion)."""
    problem = draft.data.get("2") or {}
    return urgency_suggestion(
        description=str(problem.get("description") or ""),
        problem_type=str(problem.get("problem_type") or ""),
    )
