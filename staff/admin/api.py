"""Admin for webhook endpoints and their delivery log; imported by complaints/admin.py."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "platform", "consumer_group", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description", "platform__name", "consumer_group__name"]
    list_select_related = ["platform", "consumer_group"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["platform"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, with a way to send a failed delivery once more."""

    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "endpoint"]
    search_fields = ["endpoint__url", "event__case__reference"]
    list_select_related = ["endpoint", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send again now"), permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = webhooks.webhook_deliveries_retry(deliveries=queryset)
        self.message_user(
            request, _("%(count)d deliveries queued again.") % {"count": count}, messages.SUCCESS
        )
