"""Reads the API needs beyond complaints.selectors, each with its access rule."""

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from complaints.access import cases_visible_to
from complaints.errors import NotFound
from complaints.models import CaseEvent, ComplaintCase, Order, Platform
from complaints.tiers import Tier
from escalation.documents import FilingDocument, tier_documents
from escalation.models import TierStage
from escalation.selectors import stage_current
from evidence.models import EvidenceBundle, EvidenceItem
from notifications.models import WebhookEndpoint


def platform_list(*, search: str = "") -> QuerySet[Platform]:
    platforms = Platform.objects.all()
    search = " ".join(search.split())
    if search:
        platforms = platforms.filter(Q(name__icontains=search) | Q(website__icontains=search))
    return platforms


def order_list_for_user(user: Any) -> QuerySet[Order]:
    """Orders are the complainant's own, whoever else may see their cases."""
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(owner=user).select_related("platform", "merchant")


def order_get_for_user(user: Any, *, pk: int) -> Order:
    order = order_list_for_user(user).filter(pk=pk).first()
    if order is None:
        raise NotFound()
    return order


def overdue_stage(now: datetime) -> Exists:
    return Exists(
        TierStage.objects.filter(
            case=OuterRef("pk"),
            closed_at__isnull=True,
            paused_at__isnull=True,
            next_due_at__lte=now,
        )
    )


def case_list_for_api(user: Any, *, now: datetime | None = None) -> QuerySet[ComplaintCase]:
    """The user's visible cases with their stages and an ``is_overdue`` flag, N+1 free."""
    now = now or timezone.now()
    return (
        cases_visible_to(user)
        .select_related("order__merchant")
        .annotate(is_overdue=overdue_stage(now))
        .prefetch_related(
            Prefetch(
                "stages",
                queryset=TierStage.objects.order_by("opened_at", "pk"),
                to_attr="api_stages",
            )
        )
    )


def case_get_for_api(user: Any, *, pk: int) -> ComplaintCase:
    case = case_list_for_api(user).filter(pk=pk).first()
    if case is None:
        raise NotFound()
    return case


def case_events(case: ComplaintCase) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor")


def case_stage(case: ComplaintCase) -> TierStage | None:
    """The case's open stage, or the last one it had once it has ended.

    Lists prefetch the stages (``api_stages``); those are used as they are, so a page of
    cases costs no query per case.
    """
    stages = getattr(case, "api_stages", None)
    if stages is None:
        return stage_current(case) or case.stages.order_by("opened_at", "pk").last()
    open_stages = [s for s in stages if s.closed_at is None]
    if open_stages:
        return open_stages[-1]
    return stages[-1] if stages else None


def documents_for_case(case: ComplaintCase, *, language: str) -> list[FilingDocument]:
    """Every form of every tier the case has reached, lowest tier first, each tier's forms
    in their order (the payment tier's is the one of the order's payment channel)."""
    reached = set(case.stages.values_list("tier", flat=True)) | {case.tier}
    return [
        document
        for tier in Tier.values
        if tier in reached
        for document in tier_documents(case=case, tier=tier, language=language)
    ]


def draft_bundle_list_for_user(user: Any) -> QuerySet[EvidenceBundle]:
    """The user's own bundles not yet attached to a case (drafts of complaints).

    Drafts are private to their owner: staff see evidence once it is filed, not before.
    """
    if not user.is_authenticated:
        return EvidenceBundle.objects.none()
    return EvidenceBundle.objects.filter(owner=user, case__isnull=True)


def draft_bundle_get_for_user(user: Any, *, bundle_pk: int) -> EvidenceBundle:
    """The user's own draft bundle, or NotFound (also for others' and attached ones)."""
    bundle = draft_bundle_list_for_user(user).filter(pk=bundle_pk).first()
    if bundle is None:
        raise NotFound()
    return bundle


def evidence_items_for_case(case: ComplaintCase) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(bundle__case=case)


def evidence_item_get(case: ComplaintCase, *, pk: int) -> EvidenceItem:
    item = evidence_items_for_case(case).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    return item


def webhook_endpoint_list(user: Any) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("platform", "consumer_group")
