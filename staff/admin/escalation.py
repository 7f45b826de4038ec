from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.actions import stages_recalculate
from complaints.tiers import LADDER
from escalation.calendar import (
    CalendarImportError,
    calendar_invalidate,
    calendar_parse,
    calendar_reminder_text,
    calendar_reminder_year,
    notice_days_import,
)
from escalation.deadlines import calendar_last_year
from escalation.models import DeadlinePolicy, HolidayNotice, HolidayNoticeDay, TierStage
from escalation.services import calendar_recheck
from escalation.waiting import waiting_on
from notifications.models import OutboxEmail
from notifications.outbox import outbox_requeue


def _calendar_remind(request: HttpRequest) -> None:
    year = calendar_reminder_year(now=timezone.now())
    if year is not None:
        messages.warning(request, calendar_reminder_text(year))


class HolidayNoticeDayInline(admin.TabularInline):
    model = HolidayNoticeDay
    fields = ["day", "kind", "festival"]
    extra = 0


class HolidayNoticeForm(forms.ModelForm):
    import_file = forms.FileField(
        label=_("Import days from a file"),
        required=False,
        help_text=_(
            "Optional. CSV with one day a line: date,kind[,festival] (kind: holiday or "
            "workday, or 休/班), or an iCal file of all-day events (a summary with 班 is a "
            "make-up working day). Days already listed are replaced."
        ),
    )

    class Meta:
        model = HolidayNotice
        fields = ["year", "title", "published_on"]

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data.get("import_file")
        if upload is None:
            return None
        try:
            days = calendar_parse(content=upload.read(), name=upload.name)
        except (CalendarImportError, UnicodeDecodeError) as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not days:
            raise forms.ValidationError(_("The file lists no days."))
        return days


@admin.register(HolidayNotice)
class HolidayNoticeAdmin(admin.ModelAdmin):
    """The State Council's notices (layer 1 of the calendar, over the library and the rule).

    Saving recounts every provisional deadline with the new calendar at once.
    """

    form = HolidayNoticeForm
    inlines = [HolidayNoticeDayInline]
    list_display = ["year", "title", "published_on", "day_count", "updated_at"]
    readonly_fields = ["updated_at"]

    @admin.display(description=_("days"))
    def day_count(self, obj: HolidayNotice) -> int:
        return obj.days.count()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        _calendar_remind(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        now = timezone.now()
        for formset in formsets:
            for day_form in formset.forms:
                if day_form.has_changed():
                    day_form.instance.updated_at = now
        super().save_related(request, form, formsets, change)
        days = form.cleaned_data.get("import_file")
        if days:
            created, updated = notice_days_import(notice=form.instance, days=days, now=now)
            self.message_user(
                request,
                _("%(created)d days imported, %(updated)d replaced.")
                % {"created": created, "updated": updated},
            )
        calendar_invalidate()
        moved = calendar_recheck(now=now, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d provisional stage had its deadlines recalculated.",
                "%(count)d provisional stages had their deadlines recalculated.",
                moved,
            )
            % {"count": moved},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        calendar_invalidate()


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

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        """In ladder order (platform first, then the bodies it climbs to), not by name."""
        rank = Case(
            *(When(tier=tier, then=Value(i)) for i, tier in enumerate(LADDER)),
            default=Value(len(LADDER)),
        )
        return [rank.asc(), "urgency"]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        messages.info(
            request,
            _(
                "Working days follow the State Council's notices entered under Holiday "
                "notices, else the installed chinesecalendar (up to %(year)s), else the "
                "statutory holidays by rule, which make a deadline provisional. Editing a "
                "policy applies to stages opened from now on; use the recalculation action "
                "on tier stages to move deadlines already promised."
            )
            % {"year": calendar_last_year()},
        )
        _calendar_remind(request)
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
        "provisional",
        "waiting",
    ]
    list_filter = [
        "tier",
        "close_reason",
        ("closed_at", admin.EmptyFieldListFilter),
        ("provisional_from", admin.EmptyFieldListFilter),
    ]
    search_fields = ["case__reference", "external_reference"]
    list_select_related = ["case__order"]
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
        "accepted_at",
        "fulfilment_due_at",
        "file_by_at",
        "outside_accepted_at",
        "outside_expires_at",
        "closed_at",
        "close_reason",
        "provisional",
        "provisional_from",
    ]

    @admin.display(description=_("provisional"), boolean=True)
    def provisional(self, obj: TierStage) -> bool:
        return obj.provisional

    @admin.display(description=_("waiting on"))
    def waiting(self, obj: TierStage) -> str:
        return str(waiting_on(obj.case, obj).label)

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
