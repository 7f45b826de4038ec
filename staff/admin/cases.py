from typing import Any

from django.contrib import admin, messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casework import actions
from complaints.errors import DomainError
from complaints.models import (
    CaseEvent,
    ComplaintCase,
    Merchant,
    Order,
    Platform,
    Profile,
    ReferenceCounter,
)
from escalation.models import TierStage
from escalation.waiting import waiting_on


class MerchantInline(admin.TabularInline):
    model = Merchant
    extra = 0
    fields = ["name", "shop_url", "notes"]


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "website", "complaint_email", "created_at"]
    search_fields = ["name", "website", "complaint_email"]
    inlines = [MerchantInline]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "shop_url", "created_at"]
    list_filter = ["platform"]
    search_fields = ["name", "platform__name"]
    list_select_related = ["platform"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "order_number",
        "platform",
        "product_name",
        "product_kind",
        "amount",
        "payment_method",
        "paid_at",
        "owner",
    ]
    list_filter = ["product_kind", "payment_method", "platform"]
    search_fields = [
        "order_number",
        "product_name",
        "payment_reference",
        "platform__name",
        "owner__username",
        "owner__email",
    ]
    list_select_related = ["platform", "owner"]
    raw_id_fields = ["owner", "merchant"]
    date_hierarchy = "created_at"


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("seq", "created_at", "kind", "actor", "payload", "hash")
    ordering = ["seq"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TierStageInline(admin.TabularInline):
    model = TierStage
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "tier",
        "opened_at",
        "first_response_due_at",
        "update_due_at",
        "resolution_due_at",
        "responded_at",
        "paused_at",
        "closed_at",
        "close_reason",
        "external_reference",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ComplaintCase)
class ComplaintCaseAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "complainant",
        "platform",
        "problem_type",
        "status",
        "tier",
        "urgency",
        "assigned_to",
        "needs_staff_attention",
        "waiting",
        "created_at",
    ]
    list_filter = [
        "status",
        "tier",
        "urgency",
        "problem_type",
        "needs_staff_attention",
        "order__platform",
    ]
    search_fields = [
        "reference",
        "order__order_number",
        "order__platform__name",
        "complainant__username",
        "complainant__email",
        "description",
    ]
    list_select_related = ["complainant", "order__platform", "assigned_to"]
    date_hierarchy = "created_at"
    raw_id_fields = ["complainant", "order"]
    # Status and tier move only through services, so that every change reaches the timeline.
    readonly_fields = [
        "reference",
        "status",
        "tier",
        "assigned_to",
        "created_at",
        "updated_at",
        "closed_at",
        "needs_staff_attention",
        "resolution_outcome",
    ]
    inlines = [TierStageInline, CaseEventInline]
    actions = ["assign_to_me", "resume_clocks"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ComplaintCase]:
        open_stages = TierStage.objects.filter(closed_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("stages", queryset=open_stages, to_attr="open_stages"))
        )

    @admin.display(description=_("platform"), ordering="order__platform__name")
    def platform(self, case: ComplaintCase) -> str:
        return case.order.platform.name

    @admin.display(description=_("waiting on"))
    def waiting(self, case: ComplaintCase) -> str:
        stages = getattr(case, "open_stages", None)
        if stages is None:
            stages = list(case.stages.filter(closed_at__isnull=True))
        return str(waiting_on(case, stages[0] if stages else None).label)

    @admin.action(
        description=_("Resume the clocks of the selected paused cases"), permissions=["triage"]
    )
    def resume_clocks(self, request: HttpRequest, queryset: QuerySet[ComplaintCase]) -> None:
        done = 0
        for case in queryset:
            try:
                actions.case_resume(case=case, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{case.reference}: {exc.message}", messages.ERROR)
        self.message_user(request, _("%(count)d case(s) running again.") % {"count": done})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cases are filed through the portal or the API, never created bare

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # nothing filed is ever lost

    @admin.action(description=_("Assign the selected cases to me"), permissions=["triage"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[ComplaintCase]) -> None:
        done = 0
        for case in queryset:
            try:
                actions.case_assign(case=case, assignee=request.user, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{case.reference}: {exc.message}", messages.ERROR)
        self.message_user(request, _("%(count)d case(s) assigned to you.") % {"count": done})

    def has_triage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("complaints.triage_case")


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["case", "seq", "kind", "actor", "created_at", "short_hash"]
    list_filter = ["kind"]
    search_fields = ["case__reference", "hash"]
    list_select_related = ["case", "actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("hash"))
    def short_hash(self, event: CaseEvent) -> str:
        return event.hash[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(admin.ModelAdmin):
    list_display = ["year", "last_number"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "phone", "preferred_language"]
    list_filter = ["preferred_language"]
    search_fields = ["user__email", "user__username", "name", "phone"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
