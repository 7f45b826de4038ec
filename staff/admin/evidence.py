from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from complaints.redaction import Recipient, case_keep, redact
from evidence.checklist import LEVEL_LABELS, checklist_for
from evidence.models import EvidenceBundle, EvidenceItem


class EvidenceItemInline(admin.TabularInline):
    model = EvidenceItem
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "preview",
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "occurred_at",
        "uploaded_at",
        "sealed_at",
        "masked_description",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def preview(self, item: EvidenceItem) -> str:
        return item_preview(item)

    @admin.display(description=_("description"))
    def masked_description(self, item: EvidenceItem) -> str:
        return _masked_description(item)


def _masked_description(item: EvidenceItem) -> str:
    """Masked for staff (card keys: last 4); the case's reveal view shows it whole."""
    case = item.bundle.case
    keep = case_keep(case) if case is not None else []
    return redact(item.description, recipient=Recipient.STAFF, keep=keep)


def item_preview(item: EvidenceItem) -> str:
    download = reverse("evidence:item_download", kwargs={"item_pk": item.pk})
    if item.thumbnail:
        thumb = reverse("evidence:item_thumbnail", kwargs={"item_pk": item.pk})
        return format_html(
            '<a href="{}"><img src="{}" alt="" class="evidence-thumb"></a>', download, thumb
        )
    return format_html('<a href="{}">{}</a>', download, _("download"))


@admin.register(EvidenceBundle)
class EvidenceBundleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "case", "created_at"]
    search_fields = ["case__reference", "owner__username"]
    list_select_related = ["case", "owner"]
    readonly_fields = ["owner", "case", "created_at", "checklist", "downloads"]
    inlines = [EvidenceItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceBundle]:
        """Filed evidence only: a bundle with no case is a complainant's unfiled draft,
        theirs alone until they file (nobody on staff reads a draft)."""
        return super().get_queryset(request).exclude(case__isnull=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("evidence checklist"))
    def checklist(self, bundle: EvidenceBundle) -> str:
        if bundle.case is None:
            return "-"
        entries = checklist_for(
            problem_type=bundle.case.problem_type,
            amount=bundle.case.order.amount,
            kinds_present=bundle.items.values_list("kind", flat=True),
        )
        return format_html_join(
            "",
            "<div>{} {} ({}): {}</div>",
            (("✔" if e.present else "✘", e.label, LEVEL_LABELS[e.level], e.why) for e in entries),
        )

    @admin.display(description=_("downloads"))
    def downloads(self, bundle: EvidenceBundle) -> str:
        if bundle.case is None:
            return "-"
        links = [
            (reverse(f"evidence:{name}", kwargs={"reference": bundle.case.reference}), label)
            for name, label in (
                ("package", _("evidence package (ZIP)")),
                ("summary_pdf", _("summary (PDF)")),
                ("receipt", _("receipt")),
            )
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)


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
    readonly_fields = ["preview", "masked_description"]
    exclude = ["description"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceItem]:
        """Items of filed cases only; a draft's uploads are the complainant's alone."""
        return super().get_queryset(request).exclude(bundle__case__isnull=True)

    @admin.display(description=_("description"))
    def masked_description(self, item: EvidenceItem) -> str:
        return _masked_description(item)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def preview(self, item: EvidenceItem) -> str:
        return item_preview(item)
