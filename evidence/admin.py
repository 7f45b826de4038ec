from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import EvidenceBundle, EvidenceItem


class EvidenceItemInline(admin.TabularInline):
    model = EvidenceItem
    extra = 0
    can_delete = False
    fields = [
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "occurred_at",
        "uploaded_at",
        "sealed_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EvidenceBundle)
class EvidenceBundleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "case", "created_at"]
    search_fields = ["case__reference", "owner__username"]
    list_select_related = ["case", "owner"]
    readonly_fields = ["owner", "case", "created_at"]
    inlines = [EvidenceItemInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EvidenceItem)
class EvidenceItemAdmin(admin.ModelAdmin):
    """Read-only: evidence is kept exactly as received."""

    list_display = [
        "original_name",
        "kind",
        "bundle",
        "content_type",
        "size",
        "uploaded_at",
        "sealed_at",
    ]
    list_filter = ["kind", "content_type"]
    search_fields = ["original_name", "sha256", "bundle__case__reference"]
    list_select_related = ["bundle__case"]
    date_hierarchy = "uploaded_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
