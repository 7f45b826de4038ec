from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.actions import stages_recalculate
from escalation.deadlines import calendar_last_year
from escalation.models import DeadlinePolicy, TierStage
from notifications.models import OutboxEmail
from notifications.outbox import outbox_requeue


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "tier",
        "urgency",
        "first_response_amount",
        "first_response_unit",
        "update_amount",
        "update_unit",
        "resolution_amount",
        "resolution_unit",
        "updated_at",
    ]
    list_filter = ["tier", "urgency"]
    readonly_fields = ["updated_at"]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        messages.info(
            request,
            _(
                "Working days follow the mainland China calendar up to %(year)s (the "
                "installed chinesecalendar). After that, Monday to Friday count as working "
                "days until the package is upgraded. Editing a policy applies to stages "
                "opened from now on; use the recalculation action on tier stages to move "
                "deadlines already promised."
            )
            % {"year": calendar_last_year()},
        )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(TierStage)
class TierStageAdmin(admin.ModelAdmin):
    list_display = [
        "case",
        "tier",
        "opened_at",
        "next_due_at",
        "responded_at",
        "paused_at",
        "closed_at",
        "close_reason",
        "external_reference",
    ]
    list_filter = ["tier", "close_reason", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["case__reference", "external_reference"]
    list_select_related = ["case"]
    date_hierarchy = "opened_at"
    actions = ["recalculate_deadlines"]
    readonly_fields = [
        "case",
        "tier",
        "opened_at",
        "terms",
        "first_response_due_at",
        "update_due_at",
        "update_anchor_at",
        "resolution_due_at",
        "next_due_at",
        "warn_at",
        "responded_at",
        "paused_at",
        "filed_at",
        "closed_at",
        "close_reason",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_recalculate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("escalation.change_deadlinepolicy")

    @admin.action(
        description=_("Recalculate deadlines from the current policy"),
        permissions=["recalculate"],
    )
    def recalculate_deadlines(self, request: HttpRequest, queryset: QuerySet[TierStage]) -> None:
        done = stages_recalculate(stages=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d stage recalculated (closed and paused stages are left alone).",
                "%(count)d stages recalculated (closed and paused stages are left alone).",
                done,
            )
            % {"count": done},
        )


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """The email log: who, what, how sending went; failed emails can be queued again.

    The dedupe key is long and technical, so it is searchable and on the detail page but
    not a column pushing the useful ones off-screen.
    """

    list_display = [
        "recipients",
        "what",
        "case",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_display_links = ["recipients", "what"]
    list_filter = [
        ("sent_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
        "template",
    ]
    list_select_related = ["case"]
    search_fields = ["dedupe_key", "case__reference", "subject"]
    actions = ["requeue"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in OutboxEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("to"))
    def recipients(self, obj: OutboxEmail) -> str:
        return ", ".join(obj.to)

    @admin.display(description=_("subject"))
    def what(self, obj: OutboxEmail) -> str:
        return obj.subject or (f"[{obj.template}]" if obj.template else "")

    @admin.display(description=_("status"))
    def status(self, obj: OutboxEmail) -> str:
        if obj.sent_at:
            return str(_("Sent"))
        if obj.failed_at:
            return str(_("Failed (gave up)"))
        return str(_("Pending"))

    @admin.action(description=_("Try sending again"), permissions=["change"])
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        count = outbox_requeue(rows=queryset)
        self.message_user(
            request,
            ngettext("%(count)d email queued again.", "%(count)d emails queued again.", count)
            % {"count": count},
        )
