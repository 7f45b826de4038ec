"""The portal's own table in the admin: filing drafts, read-only."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import FilingDraft


class FiledFilter(admin.SimpleListFilter):
    title = _("filed")
    parameter_name = "filed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(case__isnull=self.value() == "no")
        return queryset


@admin.register(FilingDraft)
class FilingDraftAdmin(admin.ModelAdmin):
    """Read-only: a draft is what the complainant typed; staff look, the wizard writes."""

    list_display = ["id", "owner", "step", "case", "created_at", "updated_at"]
    list_filter = [FiledFilter, "step"]
    search_fields = ["owner__email", "owner__username", "case__reference"]
    list_select_related = ["owner", "case"]
    date_hierarchy = "updated_at"
    readonly_fields = ["owner", "step", "data", "bundle", "case", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
