"""Collective cases in the admin: the list, the page (timeline in words, members, confirm,
close, combined package), the suggested groups, and the case list's "merge" action.

Every act calls casework/collective.py, the one place its rules live; a refusal of the
role (``Forbidden``) is the admin's translated 403 page, any other refusal a message.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import collective as groups
from casework.packages import collective_package
from casework.timeline import collective_event_words
from complaints.access import TRIAGE, user_supervises
from complaints.choices import CollectiveStatus
from complaints.errors import DomainError, Forbidden, NotFound
from complaints.models import CollectiveCase, CollectiveEvent, ComplaintCase
from complaints.redaction import Recipient, may_reveal, redact_data, secrets_reveal

from .display import chain_html, timeline_html

_NOT_TEXT = frozenset({"sha256", "hash", "prev_hash", "reference"})
RECIPIENT_LABELS = {
    Recipient.REGULATOR: gettext_lazy("a regulator (12315, the payment channel)"),
    Recipient.PLATFORM: gettext_lazy("the platform"),
    Recipient.PUBLIC: gettext_lazy("the public (黑猫投诉)"),
    Recipient.COURT: gettext_lazy("a court (originals; needs the reveal permission)"),
}


def _refused(request: HttpRequest, exc: DomainError, admin_: admin.ModelAdmin) -> None:
    """A refusal of the role is the 403 page; anything else a message with its details."""
    if isinstance(exc, Forbidden):
        raise PermissionDenied(str(exc.message))
    if isinstance(exc, NotFound):
        raise Http404(str(exc.message))
    details = [str(e) for errors in exc.fields.values() for e in errors]
    admin_.message_user(request, " ".join([str(exc.message), *details]), messages.ERROR)


class ConfirmedFilter(admin.SimpleListFilter):
    title = gettext_lazy("confirmation")
    parameter_name = "confirmed"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("no", gettext_lazy("Proposed, waiting for a supervisor")),
            ("yes", gettext_lazy("Confirmed")),
        ]

    def queryset(self, request: Any, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(confirmed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(confirmed_at__isnull=False)
        return queryset


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RemoveForm(ReasonForm):
    case = forms.ModelChoiceField(label=gettext_lazy("Case"), queryset=ComplaintCase.objects.none())
    field_order = ["case", "reason"]


@admin.register(CollectiveCase)
class CollectiveCaseAdmin(admin.ModelAdmin):
    """Read-only: a collective case changes only through its acts, each on its timeline."""

    list_display = [
        "reference",
        "title",
        "platform",
        "problem_type",
        "status",
        "confirmed",
        "member_total",
        "created_by",
        "created_at",
    ]
    list_filter = [ConfirmedFilter, "status", "problem_type", "platform"]
    search_fields = ["=reference", "title"]
    list_select_related = ["platform", "created_by"]
    readonly_fields = [
        "reference",
        "title",
        "platform",
        "problem_type",
        "status",
        "created_by",
        "created_at",
        "confirmed_by",
        "confirmed_at",
        "closed_at",
        "clocks_note",
        "member_list",
        "timeline",
        "chain_status",
    ]
    fields = tuple(readonly_fields)
    change_list_template = "admin/complaints/collectivecase/change_list.html"
    change_form_template = "admin/complaints/collectivecase/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CollectiveCase]:
        return super().get_queryset(request).annotate(member_total=Count("members"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # proposed from cases (suggestions, the case list's merge action)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("confirmed"), boolean=True)
    def confirmed(self, collective: CollectiveCase) -> bool:
        return collective.confirmed_at is not None

    @admin.display(description=gettext_lazy("cases"), ordering="member_total")
    def member_total(self, collective: CollectiveCase) -> int:
        return getattr(collective, "member_total", None) or collective.member_count

    @admin.display(description=gettext_lazy("deadlines"))
    def clocks_note(self, collective: CollectiveCase) -> str:
        return str(
            _(
                "Each member keeps its own deadlines, tier and timeline: grouping changes "
                "none of them. Act on a member on its own case page."
            )
        )

    @admin.display(description=gettext_lazy("member cases"))
    def member_list(self, collective: CollectiveCase) -> str:
        members = collective.members.select_related("order").order_by("created_at", "pk")
        rows = [
            (
                reverse("admin:complaints_complaintcase_change", args=[case.pk]),
                case.reference,
                case.created_at.strftime("%Y-%m-%d %H:%M"),
                case.get_status_display(),
                case.get_tier_display(),
            )
            for case in members
        ]
        if not rows:
            return "-"
        return format_html(
            "<ol>{}</ol>",
            format_html_join("", '<li><a href="{}">{}</a> · {} · {} · {}</li>', rows),
        )

    @admin.display(description=gettext_lazy("timeline"))
    def timeline(self, collective: CollectiveCase) -> str:
        def describe(event: CollectiveEvent) -> None:
            event.payload = redact_data(
                event.payload, recipient=Recipient.STAFF, keep=[], not_text=_NOT_TEXT
            )
            collective_event_words(event)

        return timeline_html(collective.events.select_related("actor").order_by("seq"), describe)

    @admin.display(description=gettext_lazy("timeline hash chain"))
    def chain_status(self, collective: CollectiveCase) -> str:
        return chain_html(collective)

    # --- the page's acts -------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        extra = [
            path(
                "suggestions/",
                view(self.suggestions_view),
                name="complaints_collectivecase_suggestions",
            ),
            path(
                "<int:pk>/confirm/",
                view(self.confirm_view),
                name="complaints_collectivecase_confirm",
            ),
            path("<int:pk>/close/", view(self.close_view), name="complaints_collectivecase_close"),
            path(
                "<int:pk>/remove/", view(self.remove_view), name="complaints_collectivecase_remove"
            ),
            path(
                "<int:pk>/package/",
                view(self.package_view),
                name="complaints_collectivecase_package",
            ),
        ]
        return extra + super().get_urls()

    def _recipients(self, request: HttpRequest) -> list[tuple[str, str]]:
        wanted = [Recipient.REGULATOR, Recipient.PLATFORM, Recipient.PUBLIC]
        if may_reveal(request.user):
            wanted.append(Recipient.COURT)
        return [(r.value, str(RECIPIENT_LABELS[r])) for r in wanted]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        collective = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if collective is not None:
            supervises = user_supervises(request.user)
            is_open = collective.status == CollectiveStatus.OPEN
            remove = RemoveForm(prefix="remove")
            remove.fields["case"].queryset = collective.members.order_by("pk")  # type: ignore[attr-defined]
            context.update(
                collective=collective,
                may_confirm=supervises and is_open and collective.confirmed_at is None,
                may_change=supervises and is_open,
                close_form=ReasonForm(prefix="close"),
                remove_form=remove,
                recipients=self._recipients(request),
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _collective(self, request: HttpRequest, pk: int) -> CollectiveCase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(CollectiveCase.objects.select_related("platform"), pk=pk)

    def _back(self, collective: CollectiveCase) -> HttpResponseRedirect:
        return redirect("admin:complaints_collectivecase_change", collective.pk)

    def confirm_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        collective = self._collective(request, pk)
        if request.method != "POST":
            return self._back(collective)
        try:
            groups.collective_confirm(collective=collective, actor=request.user)
        except DomainError as exc:
            _refused(request, exc, self)
        else:
            self.message_user(
                request,
                _("%(ref)s confirmed: each member's timeline records that it joined.")
                % {"ref": collective.reference},
                messages.SUCCESS,
            )
        return self._back(collective)

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        collective = self._collective(request, pk)
        form = ReasonForm(request.POST or None, prefix="close")
        if request.method == "POST" and form.is_valid():
            try:
                groups.collective_close(
                    collective=collective, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                _refused(request, exc, self)
            else:
                self.message_user(request, _("Collective case closed."), messages.SUCCESS)
        elif request.method == "POST":
            self.message_user(request, _("Give a reason."), messages.ERROR)
        return self._back(collective)

    def remove_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        collective = self._collective(request, pk)
        form = RemoveForm(request.POST or None, prefix="remove")
        form.fields["case"].queryset = collective.members.all()  # type: ignore[attr-defined]
        if request.method == "POST" and form.is_valid():
            try:
                groups.collective_remove(
                    collective=collective,
                    case=form.cleaned_data["case"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                _refused(request, exc, self)
            else:
                self.message_user(request, _("Case removed from the collective case."))
        elif request.method == "POST":
            self.message_user(request, _("Choose a member case and give a reason."), messages.ERROR)
        return self._back(collective)

    def package_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        """The combined package, POSTed (a court's copy records a reveal on every member)."""
        collective = self._collective(request, pk)
        if request.method != "POST":
            return self._back(collective)
        wanted = request.POST.get("for", "")
        if wanted not in dict(self._recipients(request)):
            raise PermissionDenied
        if wanted == Recipient.COURT:
            # 个人信息保护法 art. 51, 55: who saw the members' secrets whole is on record.
            for case in collective.members.all():
                secrets_reveal(case=case, actor=request.user, fields=["combined evidence package"])
        stream = collective_package(
            collective, language=translation.get_language() or "zh-hans", recipient=wanted
        )
        response = StreamingHttpResponse(stream, content_type="application/zip")
        response["Content-Length"] = str(len(stream))
        response["Content-Disposition"] = content_disposition_header(
            True, f"{collective.reference}-{wanted}.zip"
        )
        return response

    # --- suggested groups ------------------------------------------------------------------

    def suggestions_view(self, request: HttpRequest) -> HttpResponse:
        """The groups ``collective_suggestions`` finds, each with a one-click "propose"."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        may_propose = request.user.has_perm(TRIAGE)
        if request.method == "POST":
            if not may_propose:
                raise PermissionDenied
            ids = [int(pk) for pk in request.POST.getlist("case") if pk.isdigit()]
            try:
                collective = groups.collective_propose(
                    cases=ComplaintCase.objects.select_related("order").filter(pk__in=ids),
                    actor=request.user,
                    title=request.POST.get("title", ""),
                )
            except DomainError as exc:
                _refused(request, exc, self)
                return redirect("admin:complaints_collectivecase_suggestions")
            self.message_user(
                request,
                _("%(ref)s proposed; a supervisor confirms it.") % {"ref": collective.reference},
                messages.SUCCESS,
            )
            return self._back(collective)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Suggested collective cases"),
            "opts": self.model._meta,
            "suggestions": groups.collective_suggestions(),
            "may_propose": may_propose,
        }
        template = "admin/complaints/collectivecase/suggestions.html"
        return TemplateResponse(request, template, context)


def _collectives_open() -> QuerySet[CollectiveCase]:
    return CollectiveCase.objects.filter(status=CollectiveStatus.OPEN).select_related("platform")


class MergeForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title of the collective case"),
        max_length=groups.TITLE_MAX,
        required=False,
        help_text=gettext_lazy(
            "Proposed for a supervisor to confirm. Each case keeps its own deadlines, tier "
            "and timeline."
        ),
    )
    collective = forms.ModelChoiceField(
        label=gettext_lazy("Or add them to an open collective case (supervisors)"),
        queryset=CollectiveCase.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collective"].queryset = _collectives_open()  # type: ignore[attr-defined]


@admin.action(description=gettext_lazy("Merge into a collective case…"), permissions=["triage"])
def merge_into_collective(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ComplaintCase]
) -> HttpResponse | None:
    """The case list's action: propose the selected cases as a collective case (or, for a
    supervisor, add them to an open one)."""
    form = MergeForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        ids = list(queryset.order_by().values_list("pk", flat=True))
        cases = ComplaintCase.objects.select_related("order").filter(pk__in=ids)
        chosen = form.cleaned_data["collective"]
        try:
            if chosen is not None:
                collective = groups.collective_add(
                    collective=chosen, cases=cases, actor=request.user
                )
            else:
                collective = groups.collective_propose(
                    cases=cases, actor=request.user, title=form.cleaned_data["title"]
                )
        except DomainError as exc:
            _refused(request, exc, modeladmin)
            return None
        modeladmin.message_user(
            request,
            _("%(count)d case(s) in collective case %(ref)s.")
            % {"count": len(ids), "ref": collective.reference},
            messages.SUCCESS,
        )
        return redirect("admin:complaints_collectivecase_change", collective.pk)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Merge into a collective case"),
        "form": form,
        "cases": queryset,
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/complaints/case_action.html", context)


@admin.register(CollectiveEvent)
class CollectiveEventAdmin(admin.ModelAdmin):
    list_display = ["collective", "seq", "kind", "actor", "created_at", "short_hash"]
    list_filter = ["kind"]
    search_fields = ["=collective__reference", "hash"]
    list_select_related = ["collective", "actor"]
    exclude = ["payload"]
    readonly_fields = ["masked_payload"]

    @admin.display(description=gettext_lazy("hash"))
    def short_hash(self, event: CollectiveEvent) -> str:
        return event.hash[:12]

    @admin.display(description=gettext_lazy("payload"))
    def masked_payload(self, event: CollectiveEvent) -> str:
        return str(
            redact_data(event.payload, recipient=Recipient.STAFF, keep=[], not_text=_NOT_TEXT)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
