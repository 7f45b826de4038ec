from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import TierStage


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
    readonly_fields = [
        "case",
        "tier",
        "opened_at",
        "first_response_due_at",
        "update_due_at",
        "resolution_due_at",
        "next_due_at",
        "responded_at",
        "paused_at",
        "closed_at",
        "close_reason",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
