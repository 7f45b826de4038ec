"""What the case list needs to be a triage queue at a million cases.

The deadline is the open stage's ``next_due_at``, joined once (``FilteredRelation``),
never one query per row; searches are exact-or-prefix lookups an index serves (see
staff/migrations/0002_triage_indexes.py), never ``icontains`` over the table; the
paginator counts at most ``COUNT_CAP`` rows, so no page costs a ``COUNT(*)`` of it all.
"""

import re
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.access import cases_actionable_by
from complaints.models import ComplaintCase, Order

COUNT_CAP = 1000
REFERENCE_TERM = re.compile(r"^KM-", re.IGNORECASE)
DIGITS_TERM = re.compile(r"^[0-9A-Za-z_-]*[0-9][0-9A-Za-z_-]*$")


def cases_with_deadline(cases: QuerySet[ComplaintCase]) -> QuerySet[ComplaintCase]:
    """Each case with its open stage's nearest deadline (``next_due``) and pause, by a join.

    At most one stage per case is open (constraint ``stage_one_open_per_case``), so the
    join never multiplies rows.
    """
    return cases.annotate(
        open_stage=FilteredRelation("stages", condition=Q(stages__closed_at__isnull=True)),
        next_due=F("open_stage__next_due_at"),
        paused_since=F("open_stage__paused_at"),
        open_stage_pk=F("open_stage__id"),
    )


def cases_open_only(cases: QuerySet[ComplaintCase]) -> QuerySet[ComplaintCase]:
    """Only the cases with an open stage, through the join ``cases_with_deadline`` made.

    Filtering on its annotation (never on ``open_stage__…`` again, which Django joins a
    second time) lets PostgreSQL turn the LEFT JOIN into an inner one and walk the
    ``triage_stage_open_next_due`` index in deadline order, stopping at the page's LIMIT:
    a few milliseconds at a million cases instead of joining and sorting them all.
    """
    return cases.filter(Q(open_stage_pk__isnull=False))


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    if minutes < 48 * 60:
        return _("%(n)d h") % {"n": minutes // 60}
    return _("%(n)d d") % {"n": minutes // (24 * 60)}


def deadline_words(due: datetime | None, *, paused: bool, now: datetime) -> tuple[str, str]:
    """("due in 3 h" / "overdue 2 d" / "paused" / "—", its colour class) for a deadline.

    The colours are classes of static/css/admin.css: the Content-Security-Policy allows no
    inline style attribute, so an inline colour would never be painted."""
    if paused:
        return _("paused"), "deadline-none"
    if due is None:
        return "—", "deadline-none"
    left = (due - now).total_seconds()
    if left < 0:
        return _("overdue %(span)s") % {"span": _span(left)}, "deadline-overdue"
    colour = "deadline-soon" if left < 24 * 3600 else "deadline-ok"
    return _("due in %(span)s") % {"span": _span(left)}, colour


def deadline_cell(case: Any, *, now: datetime | None = None) -> str:
    words, colour = deadline_words(
        getattr(case, "next_due", None),
        paused=getattr(case, "paused_since", None) is not None,
        now=now or timezone.now(),
    )
    return format_html('<span class="deadline {}">{}</span>', colour, words)


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP + 1`` rows: "more than a thousand" is all a triager needs
    to know, and an exact count of a million cases costs a full scan on every page."""

    @cached_property
    def count(self) -> int:
        cases: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        rows = cases.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1]
        return len(list(rows))


class DeadlineFilter(admin.SimpleListFilter):
    title = gettext_lazy("deadline")
    parameter_name = "deadline"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("overdue", gettext_lazy("Overdue")),
            ("today", gettext_lazy("Due today (Beijing time)")),
        ]

    def queryset(self, request: Any, queryset: QuerySet) -> QuerySet:
        # The annotations of cases_with_deadline, so that the filter reuses its one join.
        now = timezone.now()
        running = Q(paused_since__isnull=True)
        if self.value() == "overdue":
            return queryset.filter(running, next_due__lt=now)
        if self.value() == "today":
            # The day ends at midnight in Asia/Shanghai (TIME_ZONE), whatever the server's.
            local = timezone.localtime(now)
            end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
            return queryset.filter(running, next_due__gte=now, next_due__lt=end)
        return queryset


class OpenCasesFilter(admin.SimpleListFilter):
    """The queue is the open cases (those with a running stage), nearest deadline first;
    closed ones are a click away ("All cases"), or found by a status filter or a search.

    Open only is what lets the list be served in index order (``cases_open_only``).
    """

    title = gettext_lazy("cases")
    parameter_name = "cases"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [("all", gettext_lazy("All cases, closed ones included"))]

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": gettext_lazy("Open cases"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: Any, queryset: QuerySet) -> QuerySet:
        if self.value() == "all":
            return queryset
        asked = request.GET
        if asked.get(SEARCH_VAR, "").strip() or any(key.startswith("status") for key in asked):
            return queryset
        return cases_open_only(queryset)


class AssignmentFilter(admin.SimpleListFilter):
    title = gettext_lazy("assignment")
    parameter_name = "assigned"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("mine", gettext_lazy("Mine")),
            ("unassigned", gettext_lazy("Unassigned")),
            ("actionable", gettext_lazy("Mine or unassigned (I may act)")),
        ]

    def queryset(self, request: Any, queryset: QuerySet) -> QuerySet:
        if self.value() == "mine":
            return queryset.filter(assigned_to=request.user.pk)
        if self.value() == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "actionable":
            return cases_actionable_by(request.user, queryset)
        return queryset


def cases_search(cases: QuerySet[ComplaintCase], term: str) -> QuerySet[ComplaintCase]:
    """Route a search term to the one indexed column it can be: ``KM-…`` a reference, an
    ``@`` an email, anything with a digit an order number or payment reference. Each is
    exact-or-prefix (``LIKE 'x%'``), which the pattern indexes serve at any table size."""
    term = term.strip()
    if not term:
        return cases
    if REFERENCE_TERM.match(term):
        return cases.filter(reference__startswith=term.upper())
    if "@" in term:
        users = get_user_model().objects.filter(email__istartswith=term).values("pk")
        return cases.filter(complainant__in=users)
    if DIGITS_TERM.match(term):
        # The orders first, each column by its own prefix index (a BitmapOr), then the
        # cases by their order: an OR across the joined order table serves neither index.
        # ``<> ''`` is the payment-reference index's condition, said so the planner may use it.
        orders = Order.objects.filter(
            Q(order_number__startswith=term)
            | (Q(payment_reference__startswith=term) & ~Q(payment_reference=""))
        ).values("pk")
        return cases.filter(order_id__in=orders)
    return cases.filter(complainant__username=term)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvidenceRequestForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("What the complainant should send"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ResponseForm(forms.Form):
    source = forms.ChoiceField(
        label=gettext_lazy("Who answered"),
        choices=[
            ("respondent", gettext_lazy("The respondent (platform, merchant, body)")),
            ("staff", gettext_lazy("Our staff, on the respondent's behalf")),
        ],
    )
    text = forms.CharField(
        label=gettext_lazy("The response"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Staff member"),
        queryset=get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("username"),
    )
