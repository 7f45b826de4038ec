from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from casework import actions
from casework.dispatch import TAG_LABELS
from casework.redflags import red_flags_for
from casework.timeline import event_words
from complaints.access import ESCALATE, SUPERVISE, TRIAGE, Act, may_act
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
from complaints.records import AMENDABLE_FIELDS, CASE_SEALED, ORDER_SEALED, field_label
from complaints.redaction import (
    Recipient,
    case_keep,
    may_reveal,
    redact,
    redact_data,
    secrets_reveal,
)
from escalation.documents import tier_documents
from escalation.models import TierStage
from escalation.waiting import waiting_on
from evidence.attribution import case_attribution_for
from evidence.checklist import LEVEL_LABELS, checklist_for
from evidence.models import EvidenceBundle, EvidenceItem

from .collective import merge_into_collective
from .display import chain_html, timeline_html
from .evidence import item_preview, verdict_html
from .triage import (
    AssignForm,
    AssignmentFilter,
    CappedPaginator,
    DeadlineFilter,
    EvidenceRequestForm,
    OpenCasesFilter,
    ReasonForm,
    ResponseForm,
    cases_search,
    cases_with_deadline,
    deadline_cell,
)

# What staff see by default: card keys and personal numbers masked, last 4 shown
# (个人信息保护法 art. 28); the reveal view shows them whole and records it.
_STAFF = Recipient.STAFF
_NOT_TEXT = frozenset({"sha256", "hash", "prev_hash", "reference"})


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
        "merchant_on_bill",
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
        "merchant_on_bill",
        "platform__name",
        "owner__username",
        "owner__email",
    ]
    list_select_related = ["platform", "owner"]
    raw_id_fields = ["owner", "merchant"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """An order with a filed case is part of a sealed record: corrected by amendment
        on the case page (casework.actions.case_amend), never edited here."""
        if obj is not None and obj.cases.exists():
            return ["owner", "platform", "merchant", *ORDER_SEALED, "created_at"]
        return list(super().get_readonly_fields(request, obj))


class AmendAdminForm(forms.Form):
    field = forms.ChoiceField(
        label=_("What to correct"),
        choices=lambda: [(name, field_label(name)) for name in AMENDABLE_FIELDS],
    )
    value = forms.CharField(
        label=_("Corrected text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(label=_("Why the correction"), required=False)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("seq", "created_at", "kind", "actor", "masked_payload", "hash")
    ordering = ["seq"]

    @admin.display(description=_("payload"))
    def masked_payload(self, event: CaseEvent) -> str:
        return str(
            redact_data(
                event.payload, recipient=_STAFF, keep=case_keep(event.case), not_text=_NOT_TEXT
            )
        )

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
    """The triage queue: nearest deadline first, filters and searches that stay fast at a
    million cases (staff/admin/triage.py), and every staff act as an action that calls
    the casework action the portal and the API call."""

    list_display = [
        "reference",
        "complainant",
        "platform",
        "problem_type",
        "tier",
        "status",
        "assigned_to",
        "deadline",
        "urgency",
        "needs_staff_attention",
        "waiting",
        "red_flags",
    ]
    list_filter = [
        OpenCasesFilter,
        DeadlineFilter,
        AssignmentFilter,
        "tier",
        "status",
        "urgency",
        "problem_type",
        "needs_staff_attention",
        "dispatch_kind",
        "order__platform",
        "order__merchant",
    ]
    # Routed by shape to indexed exact-or-prefix lookups (get_search_results).
    search_fields = ["reference"]
    search_help_text = _(
        "A reference (KM-…), an order number or payment reference, or the complainant's "
        "email; each matched from its start."
    )
    list_select_related = ["complainant", "order__platform", "assigned_to"]
    show_full_result_count = False
    paginator = CappedPaginator
    # The queue is worked from the top, nearest deadline first: 50 rows a page, not
    # Django's 100, since rendering the rows is most of the page's cost (bench/load).
    list_per_page = 50
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
        "urgency",
        "urgency_reason",
        # Set at filing by smart dispatch (casework/dispatch.py).
        "dispatch_kind",
        "dispatch_priority",
        "dispatch_tag_words",
        # Changed only by the collective case's acts (casework/collective.py).
        "collective",
    ]
    exclude = ["dispatch_tags"]  # shown in words (dispatch_tag_words)
    inlines = [TierStageInline]
    actions = [
        "assign_to_me",
        "assign_to_someone",
        "request_evidence",
        "record_response",
        "escalate_now",
        "resolve_by_staff",
        "resume_clocks",
        merge_into_collective,
    ]
    CASE_PAGE_FIELDS = (
        "red_flags",
        "order_parties",
        "timeline",
        "evidence",
        "network_attribution",
        "evidence_checklist",
        "chain_status",
        "deadline_explanation",
        "tier_document",
        "other_cases",
    )
    # Free text a complainant wrote may hold card keys and ID numbers: shown masked.
    SECRET_FIELDS = ("description", "demand_text")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [str(f) for f in super().get_fields(request, obj)]
        if obj is None:
            return fields
        fields = [f"masked_{f}" if f in self.SECRET_FIELDS else f for f in fields]
        fields = [f for f in fields if f not in self.CASE_PAGE_FIELDS]
        fields = list(dict.fromkeys(fields))  # sealed and masked name the same text once
        fields = [f for f in fields if f != "reveal_secrets_link"]
        return [*fields, "reveal_secrets_link", *self.CASE_PAGE_FIELDS]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ComplaintCase]:
        # The open stage is prefetched for the "waiting on" column (one query a page).
        open_stages = TierStage.objects.filter(closed_at__isnull=True)
        return cases_with_deadline(super().get_queryset(request)).prefetch_related(
            Prefetch("stages", queryset=open_stages, to_attr="open_stages")
        )

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """The page's red flags in three queries for the whole page (casework/redflags.py)."""
        changelist = super().get_changelist_instance(request)
        flags = red_flags_for(changelist.result_list, now=timezone.now())
        for case in changelist.result_list:
            case.red_flag_words = flags.words(case)
        return changelist

    @admin.display(description=_("dispatch tags"))
    def dispatch_tag_words(self, case: ComplaintCase) -> str:
        return "、".join(str(TAG_LABELS.get(tag, tag)) for tag in case.dispatch_tags) or "-"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        """A filed case has nothing to save on its page: its fields change by amendment and
        its state by the actions, so no "Save" button that would do nothing."""
        if obj is not None and not context["adminform"].form.fields:
            context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("red flags"))
    def red_flags(self, case: ComplaintCase) -> str:
        """Patterns for a person to look at; a flag never blocks anything."""
        words = getattr(case, "red_flag_words", None)
        if words is None:
            words = red_flags_for([case], now=timezone.now()).words(case)
        if not words:
            return "-"
        hint = _("For a person to look at; nothing is blocked automatically.")
        return format_html_join(
            "", '<div class="red-flag" title="{}">⚑ {}</div>', ((hint, w) for w in words)
        )

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        """Nearest deadline first, then by pk (the ``(next_due_at, case_id)`` index's own
        order, so PostgreSQL walks it); cases without a running clock (closed ones) last."""
        return [F("next_due").asc(nulls_last=True), "pk"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ComplaintCase], search_term: str
    ) -> tuple[QuerySet[ComplaintCase], bool]:
        return cases_search(queryset, search_term), False

    @admin.display(description=_("deadline"), ordering=F("next_due").asc(nulls_last=True))
    def deadline(self, case: ComplaintCase) -> str:
        return deadline_cell(case)

    @admin.display(description=_("description"))
    def masked_description(self, case: ComplaintCase) -> str:
        return redact(case.description, recipient=_STAFF, keep=case_keep(case))

    @admin.display(description=_("demand details"))
    def masked_demand_text(self, case: ComplaintCase) -> str:
        return redact(case.demand_text, recipient=_STAFF, keep=case_keep(case))

    @admin.display(description=_("unmasked text"))
    def reveal_secrets_link(self, case: ComplaintCase) -> str:
        url = reverse("admin:complaints_complaintcase_reveal", args=[case.pk])
        return format_html(
            '<a class="button" href="{}">{}</a> {}',
            url,
            _("Reveal"),
            _("(needs the permission; recorded in the timeline)"),
        )

    def reveal_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The case's free text and event payloads unmasked, after recording the reveal.

        POST only records and shows, so that a link prefetch or a crawler never reveals.
        """
        if not may_reveal(request.user):
            raise PermissionDenied
        case = get_object_or_404(ComplaintCase, pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Unmasked text of %(reference)s") % {"reference": case.reference},
            "case": case,
            "opts": self.model._meta,
            "revealed": False,
        }
        if request.method == "POST":
            secrets_reveal(
                case=case,
                actor=request.user,
                fields=[*self.SECRET_FIELDS, "event payloads", "evidence descriptions"],
            )
            context.update(
                revealed=True,
                events=case.events.select_related("actor").order_by("seq"),
                evidence=case.evidence_bundle.items.all()
                if hasattr(case, "evidence_bundle")
                else [],
            )
        return TemplateResponse(request, "admin/complaints/reveal_secrets.html", context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """Every case here is filed, so what it says is sealed (complaints.records): the
        description, demand, order and complainant change only by amendment."""
        # What the complainant answered in the wizard is part of the filed record too.
        sealed = [
            "complainant",
            "order",
            "problem_type",
            "harm_noticed_at",
            "risk_signals",
            *CASE_SEALED,
        ]
        readonly = [*self.readonly_fields, *sealed, "amend_link"]
        if obj is None:
            return readonly
        # Free text shows masked (complaints.redaction); the reveal link is for permitted staff.
        return [
            *readonly,
            *(f"masked_{f}" for f in self.SECRET_FIELDS),
            "reveal_secrets_link",
            *self.CASE_PAGE_FIELDS,
        ]

    @admin.display(description=_("correct the record"))
    def amend_link(self, case: ComplaintCase) -> str:
        if not case.pk:
            return ""
        url = reverse("admin:complaints_complaintcase_amend", args=[case.pk])
        return format_html('<a href="{}">{}</a>', url, _("Record an amendment…"))

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:case_pk>/amend/",
                self.admin_site.admin_view(self.amend_view),
                name="complaints_complaintcase_amend",
            ),
            path(
                "<path:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="complaints_complaintcase_reveal",
            ),
        ]
        return extra + super().get_urls()

    def amend_view(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        """A correction by staff: the same action, and the same rules, as the portal's."""
        case = (
            ComplaintCase.objects.select_related("order", "complainant").filter(pk=case_pk).first()
        )
        if case is None or not may_act(request.user, case, Act.AMEND):
            raise Http404
        form = AmendAdminForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                actions.case_amend(case=case, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, str(error))
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(request, _("Correction recorded in the timeline."))
                return redirect("admin:complaints_complaintcase_change", case.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Correct the record of %(ref)s") % {"ref": case.reference},
            "case": case,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/complaints/amend.html", context)

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
        return request.user.has_perm(TRIAGE)

    def has_escalate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ESCALATE)

    def has_supervise_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(SUPERVISE)

    def _each_case(
        self,
        request: HttpRequest,
        queryset: QuerySet[ComplaintCase],
        act: Callable[[ComplaintCase], Any],
        done_message: str,
    ) -> None:
        """Run ``act`` on every selected case; a refusal is one message for that case (in
        the user's language), the others go ahead."""
        done = 0
        for case in queryset.select_related("order", "complainant"):
            try:
                act(case)
            except DomainError as exc:
                details = [str(e) for errors in exc.fields.values() for e in errors]
                text = " ".join([str(exc.message), *details])
                self.message_user(request, f"{case.reference}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    def _with_form(
        self,
        request: HttpRequest,
        queryset: QuerySet[ComplaintCase],
        form_class: type[forms.Form],
        title: str,
        run: Callable[[ComplaintCase, dict[str, Any]], Any],
        done_message: str,
    ) -> TemplateResponse | None:
        """An action that needs input: the form page first, then ``run`` on each case."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            data = form.cleaned_data
            self._each_case(request, queryset, lambda case: run(case, data), done_message)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "cases": queryset,
            "action": request.POST.get("action", ""),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/complaints/case_action.html", context)

    @admin.action(description=_("Assign the selected cases to…"), permissions=["supervise"])
    def assign_to_someone(
        self, request: HttpRequest, queryset: QuerySet[ComplaintCase]
    ) -> TemplateResponse | None:
        return self._with_form(
            request,
            queryset,
            AssignForm,
            str(_("Assign cases to a staff member")),
            lambda case, data: actions.case_assign(
                case=case, assignee=data["assignee"], actor=request.user
            ),
            str(_("%(count)d case(s) assigned.")),
        )

    @admin.action(description=_("Ask the complainant for more evidence…"), permissions=["triage"])
    def request_evidence(
        self, request: HttpRequest, queryset: QuerySet[ComplaintCase]
    ) -> TemplateResponse | None:
        return self._with_form(
            request,
            queryset,
            EvidenceRequestForm,
            str(_("Ask for more evidence")),
            lambda case, data: actions.case_request_evidence(
                case=case, actor=request.user, message=data["message"]
            ),
            str(_("Evidence requested on %(count)d case(s); their clocks are paused.")),
        )

    @admin.action(description=_("Record the respondent's response…"), permissions=["triage"])
    def record_response(
        self, request: HttpRequest, queryset: QuerySet[ComplaintCase]
    ) -> TemplateResponse | None:
        return self._with_form(
            request,
            queryset,
            ResponseForm,
            str(_("Record a response")),
            lambda case, data: actions.case_record_response(
                case=case, actor=request.user, source=data["source"], text=data["text"]
            ),
            str(_("Response recorded on %(count)d case(s).")),
        )

    @admin.action(description=_("Escalate now…"), permissions=["escalate"])
    def escalate_now(
        self, request: HttpRequest, queryset: QuerySet[ComplaintCase]
    ) -> TemplateResponse | None:
        return self._with_form(
            request,
            queryset,
            ReasonForm,
            str(_("Escalate to the next tier now")),
            lambda case, data: actions.case_escalate_by_staff(
                case=case, actor=request.user, reason=data["reason"]
            ),
            str(_("%(count)d case(s) escalated.")),
        )

    @admin.action(description=_("Mark resolved (complainant silent)…"), permissions=["triage"])
    def resolve_by_staff(
        self, request: HttpRequest, queryset: QuerySet[ComplaintCase]
    ) -> TemplateResponse | None:
        return self._with_form(
            request,
            queryset,
            ReasonForm,
            str(_("Mark resolved after the complainant's silence")),
            lambda case, data: actions.case_resolve_by_staff(
                case=case, actor=request.user, reason=data["reason"]
            ),
            str(_("%(count)d case(s) marked resolved.")),
        )

    # The case page, read-only, in words.

    @admin.display(description=_("timeline"))
    def timeline(self, case: ComplaintCase) -> str:
        keep = case_keep(case)

        def describe(event: CaseEvent) -> None:
            # Masked for staff like every other payload here (the reveal view shows it whole).
            event.payload = redact_data(
                event.payload, recipient=_STAFF, keep=keep, not_text=_NOT_TEXT
            )
            event_words(event, for_staff=True)

        return timeline_html(case.events.select_related("actor").order_by("seq"), describe)

    @admin.display(description=_("evidence"))
    def evidence(self, case: ComplaintCase) -> str:
        bundle = EvidenceBundle.objects.filter(case=case).first()
        if bundle is None:
            return "-"
        items = bundle.items.order_by("uploaded_at")
        if not items:
            return str(_("No evidence yet."))
        return format_html_join(
            "",
            '<div class="evidence-tile">{}<br>{} · {}</div>',
            ((item_preview(i), i.get_kind_display(), i.original_name) for i in items),
        )

    @admin.display(description=_("who was paid"))
    def order_parties(self, case: ComplaintCase) -> str:
        """The payee the bill shows and the supplier the order page named, beside the
        platform: the payment channel's dispute names the payee as the bill does."""
        order = case.order
        rows = [
            (_("platform"), order.platform.name),
            (Order._meta.get_field("merchant_on_bill").verbose_name, order.merchant_on_bill),
            (Order._meta.get_field("supplier_name").verbose_name, order.supplier_name),
        ]
        return format_html_join(
            "", "<div>{}: {}</div>", ((label, value or "—") for label, value in rows)
        )

    @admin.display(description=_("network problem attribution"))
    def network_attribution(self, case: ComplaintCase) -> str:
        """Who the network evidence points at, in the words the portal and the documents
        use (evidence.attribution), with the requests it rests on."""
        attribution = case_attribution_for(case)
        if not attribution.has_evidence:
            return str(_("No network evidence."))
        return verdict_html(attribution.sentence, attribution.requests, case)

    @admin.display(description=_("evidence checklist"))
    def evidence_checklist(self, case: ComplaintCase) -> str:
        entries = checklist_for(
            problem_type=case.problem_type,
            amount=case.order.amount,
            kinds_present=EvidenceItem.objects.filter(bundle__case=case).values_list(
                "kind", flat=True
            ),
        )
        return format_html_join(
            "",
            "<div>{} {} ({}): {}</div>",
            ((("✔" if e.present else "✘"), e.label, LEVEL_LABELS[e.level], e.why) for e in entries),
        )

    @admin.display(description=_("timeline hash chain"))
    def chain_status(self, case: ComplaintCase) -> str:
        return chain_html(case)

    @admin.display(description=_("how the deadline was counted"))
    def deadline_explanation(self, case: ComplaintCase) -> str:
        stage = case.stages.filter(closed_at__isnull=True).first()
        if stage is None:
            return str(_("No clock is running."))
        return render_to_string("portal/_deadline_explanation.html", {"row": {"stage": stage}})

    @admin.display(description=_("current tier's documents"))
    def tier_document(self, case: ComplaintCase) -> str:
        """Each form of the current tier, as staff may read it: the court's form carries
        originals, so every body is redacted for STAFF here (Reveal shows them, recorded)."""
        documents = tier_documents(case=case, language=translation.get_language() or "zh-hans")
        keep = case_keep(case)
        return format_html_join(
            "",
            '<details><summary>{}</summary><pre class="pre-wrap">{}</pre></details>',
            (
                (d.form_label, redact(d.body, recipient=Recipient.STAFF, keep=keep))
                for d in documents
            ),
        )

    @admin.display(description=_("the complainant's other cases"))
    def other_cases(self, case: ComplaintCase) -> str:
        others = (
            ComplaintCase.objects.filter(complainant_id=case.complainant_id)
            .exclude(pk=case.pk)
            .order_by("-created_at")[:20]
        )
        links = [
            (
                reverse("admin:complaints_complaintcase_change", args=[other.pk]),
                other.reference,
                other.get_status_display(),
            )
            for other in others
        ]
        if not links:
            return "-"
        return format_html_join(" · ", '<a href="{}">{}</a> ({})', links)


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["case", "seq", "kind", "actor", "created_at", "short_hash"]
    list_filter = ["kind"]
    search_fields = ["case__reference", "hash"]
    list_select_related = ["case", "actor"]
    date_hierarchy = "created_at"
    exclude = ["payload"]
    readonly_fields = ["masked_payload"]

    @admin.display(description=_("hash"))
    def short_hash(self, event: CaseEvent) -> str:
        return event.hash[:12]

    @admin.display(description=_("payload"))
    def masked_payload(self, event: CaseEvent) -> str:
        return CaseEventInline.masked_payload(None, event)  # type: ignore[arg-type]

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
    # The postal address is for the 12315 and court documents (市场监督管理投诉举报处理暂行办法
    # art. 9, 民事诉讼法 art. 124); shown here, not in the list.
    fields = ["user", "name", "phone", "address", "preferred_language"]
    list_filter = ["preferred_language"]
    search_fields = ["user__email", "user__username", "name", "phone"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
