"""Filing a complaint: the case, its evidence bundle, the platform stage, the receipt
and the routing to a triager."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services
from complaints.choices import CaseStatus, EventKind, ProblemType, Urgency
from complaints.errors import InvalidInput
from complaints.models import ComplaintCase, Order
from complaints.records import record_seal
from complaints.services import full_clean, money, reference_next
from complaints.tiers import Tier
from complaints.timeline import event_append
from escalation.services import stage_open
from evidence.services import bundle_attach, bundle_create

from ..dispatch import dispatch_classify, triager_least_loaded
from ..receipts import receipt_send
from .base import case_writes


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
    urgency_reason: str = "",
    harm_noticed_at: datetime | None = None,
    risk_signals: Sequence[str] = (),
    other_proceedings: str = "",
    bundle: Any = None,
    route: bool = True,
    now: datetime | None = None,
) -> ComplaintCase:
    """File a complaint: the case, its evidence bundle, the platform stage and the first event.

    Smart dispatch classifies it (casework/dispatch.py) and, unless ``route`` is False,
    gives it to the least-loaded triager of its kind.

    ``bundle`` is the evidence collected while writing the complaint; it is attached and
    sealed. All or nothing: a filed complaint always has a reference, a timeline and a
    running clock. The FILED event seals the record (``record_sha256``, complaints.records).
    """
    now = now or timezone.now()
    if order.owner_id != complainant.pk:
        raise InvalidInput(fields={"order": [_("This order belongs to someone else.")]})
    if problem_type not in ProblemType.values:
        raise InvalidInput(fields={"problem_type": [_("Unknown problem type.")]})
    services.demand_check(
        kind=demand_kind,
        amount=demand_amount,
        text=demand_text,
        within_hours=demand_within_hours,
    )
    services.moment_check(field="harm_noticed_at", value=harm_noticed_at, now=now)
    services.urgency_check(urgency=urgency, reason=urgency_reason)
    signals = services.risk_signals_check(problem_type=problem_type, signals=risk_signals)
    proceedings = services.other_proceedings_check(answer=other_proceedings)
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
        urgency_reason=urgency_reason.strip() if urgency == Urgency.URGENT else "",
        harm_noticed_at=harm_noticed_at or now,
        risk_signals=signals,
        other_proceedings=proceedings,
        status=CaseStatus.SUBMITTED,
        tier=Tier.PLATFORM,
        created_at=now,
        updated_at=now,
    )
    # Smart dispatch: the kind, priority and tags from the one rule table (casework/dispatch.py).
    dispatch = dispatch_classify(case)
    case.dispatch_kind = dispatch.kind
    case.dispatch_priority = dispatch.priority
    case.dispatch_tags = list(dispatch.tags)
    full_clean(case, exclude=["reference"])
    with case_writes(case):
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
                "urgency": urgency,
                **record_seal(case),
            },
            now=now,
        )
        bundle_attach(
            bundle=bundle or bundle_create(owner=complainant, now=now), case=case, now=now
        )
        receipt_send(case=case, now=now, filing=True)
        # ...and routed, in the filing's transaction, to the least-loaded triager of its kind.
        triager = triager_least_loaded(dispatch.kind) if route else None
        if triager is not None:
            services.case_assign(
                case=case, assignee=triager, actor=None, now=now, reason="dispatch"
            )
    return case
