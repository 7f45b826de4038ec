"""The portal's own table in the admin: filing drafts, read-only."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import FilingDraft


@admin.register(FilingDraft)
class FilingDraftAdmin(admin.ModelAdmin):
    """Read-only, and only drafts that became a case: what a complainant types before
    filing is theirs alone (nobody on staff reads an unfiled draft)."""

    list_display = ["id", "owner", "step", "case", "created_at", "updated_at"]
    list_filter = ["step"]
    search_fields = ["owner__email", "owner__username", "case__reference"]
    list_select_related = ["owner", "case"]
    date_hierarchy = "updated_at"
    readonly_fields = ["owner", "step", "data", "bundle", "case", "created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FilingDraft]:
        return super().get_queryset(request).exclude(case__isnull=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
