from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from complaints.redaction import Recipient, case_keep, redact
from evidence.attribution import SupportingRequest, item_analysis, website_host
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


def verdict_html(sentence: str, requests: tuple[SupportingRequest, ...], case: Any) -> str:
    """A network verdict in words, with the requests it rests on (one line each: when,
    method, host and path, status, how long), as the portal's case page shows them;
    masked for staff like every text here (a path can carry a card key)."""
    keep = case_keep(case) if case is not None else []
    lines = format_html_join(
        "",
        "<li><code>{}</code></li>",
        ((redact(r.line, recipient=Recipient.STAFF, keep=keep),) for r in requests),
    )
    return format_html(
        "{}{}",
        format_html("<p><strong>{}</strong></p>", redact(sentence, recipient=Recipient.STAFF))
        if sentence
        else "",
        format_html("<p>{}</p><ul>{}</ul>", _("The requests it rests on:"), lines)
        if requests
        else "",
    )


def analysis_html(item: EvidenceItem) -> str:
    """What the portal read from the file, in words (evidence.attribution.item_analysis);
    never the stored analysis itself."""
    case = item.bundle.case
    hosts = [website_host(case.order.platform.website)] if case is not None else []
    analysis = item_analysis(item, platform_hosts=hosts)
    if not (analysis.sentence or analysis.facts or analysis.requests):
        return "-"
    facts = format_html_join("", "<p>{}</p>", ((f,) for f in analysis.facts))
    return format_html("{}{}", verdict_html(analysis.sentence, analysis.requests, case), facts)


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
    readonly_fields = ["preview", "masked_description", "analysis_words"]
    # The stored analysis is codes and JSON: staff read it in words (analysis_words).
    exclude = ["description", "analysis"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceItem]:
        """Items of filed cases only; a draft's uploads are the complainant's alone."""
        return super().get_queryset(request).exclude(bundle__case__isnull=True)

    @admin.display(description=_("description"))
    def masked_description(self, item: EvidenceItem) -> str:
        return _masked_description(item)

    @admin.display(description=_("what the portal read from the file"))
    def analysis_words(self, item: EvidenceItem) -> str:
        return analysis_html(item)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("file"))
    def preview(self, item: EvidenceItem) -> str:
        return item_preview(item)
