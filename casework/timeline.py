"""A case's timeline in words: one rendering for the portal's case page and the admin's.

Events store codes (kinds, statuses, tiers, outcomes, field names) so that they stay
hashable and language-neutral; this turns them into labels of the active language.
The template that prints them is ``templates/casework/_event.html``, included by both.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.choices import CaseStatus, CollectiveEventKind, EventKind, ResolutionOutcome
from complaints.models import CaseEvent, CollectiveEvent
from complaints.records import AMENDABLE_FIELDS, field_label, value_words
from complaints.tiers import Tier

RESPONSE_SOURCE_LABELS = {
    "staff": gettext_lazy("recorded by staff"),
    "respondent": gettext_lazy("from the respondent"),
    "complainant": gettext_lazy("from the complainant"),
}


def _label(choices: Any, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def event_summary(event: CaseEvent) -> str:
    """One sentence saying what happened, from the payload's codes; "" when the kind
    says it all (the template adds texts, reasons and amendments itself)."""
    payload = event.payload or {}
    kind = event.kind
    if kind == EventKind.STATUS_CHANGED:
        return _("From “%(before)s” to “%(after)s”.") % {
            "before": _label(CaseStatus, payload.get("from")),
            "after": _label(CaseStatus, payload.get("to")),
        }
    if kind == EventKind.ASSIGNED:
        if not payload.get("assignee"):
            return _("No longer assigned to anyone.")
        if payload.get("reason") == "first_responder":
            return _("%(who)s acted first and owns the case (first-responder responsibility).") % {
                "who": payload["assignee"]
            }
        if payload.get("reason") == "dispatch":
            return _("Assigned to %(who)s by smart dispatch.") % {"who": payload["assignee"]}
        return _("Assigned to %(who)s.") % {"who": payload["assignee"]}
    if kind == EventKind.ESCALATED and payload.get("to_tier"):
        return _("From %(before)s to %(after)s.") % {
            "before": _label(Tier, payload.get("from_tier")),
            "after": _label(Tier, payload.get("to_tier")),
        }
    if kind == EventKind.EVIDENCE_REQUESTED and payload.get("message"):
        return str(payload["message"])
    if kind == EventKind.RESPONSE_RECORDED and payload.get("source") in RESPONSE_SOURCE_LABELS:
        return _("Response %(source)s.") % {"source": RESPONSE_SOURCE_LABELS[payload["source"]]}
    if kind == EventKind.COLLECTIVE_JOINED:
        return _(
            "Grouped with complaints against the same platform about the same problem as "
            "collective case %(ref)s (%(count)s cases); this case keeps its own deadlines "
            "and tier."
        ) % {"ref": payload.get("collective", ""), "count": payload.get("members", "")}
    if kind == EventKind.COLLECTIVE_LEFT:
        return _(
            "No longer part of collective case %(ref)s; this case's own deadlines and tier "
            "run on unchanged."
        ) % {"ref": payload.get("collective", "")}
    if kind == EventKind.FILED and payload.get("order_number"):
        return _("Order %(number)s, %(amount)s yuan.") % {
            "number": payload["order_number"],
            "amount": payload.get("amount", ""),
        }
    return ""


def event_words(event: CaseEvent, *, for_staff: bool = False) -> CaseEvent:
    """Labels the timeline shows in words (in the active language) for an event's codes.

    ``for_staff`` names the complainant as such; the complainant reads "You".
    """
    payload = event.payload or {}
    field_name = payload.get("field", "")
    event.field_label = field_label(field_name) if field_name in AMENDABLE_FIELDS else field_name  # type: ignore[attr-defined]
    # An amendment's before and after, a code's label for a choice (other proceedings).
    event.before_words = value_words(field_name, str(payload.get("before") or ""))  # type: ignore[attr-defined]
    event.after_words = value_words(field_name, str(payload.get("after") or ""))  # type: ignore[attr-defined]
    if payload.get("by") == "complainant":
        by = _("The complainant") if for_staff else _("You")
    else:
        by = _("Staff") if for_staff else _("Our staff")
    event.by_label = by  # type: ignore[attr-defined]
    event.outcome_label = _label(ResolutionOutcome, payload.get("outcome", ""))  # type: ignore[attr-defined]
    event.summary = event_summary(event)  # type: ignore[attr-defined]
    return event


def collective_event_summary(event: CollectiveEvent) -> str:
    """One sentence for an entry of a collective case's timeline (the template adds the
    reason itself)."""
    payload = event.payload or {}
    kind = event.kind
    members = payload.get("members")
    if kind in (CollectiveEventKind.PROPOSED, CollectiveEventKind.CONFIRMED) and members:
        return _("%(count)s cases: %(refs)s.") % {"count": len(members), "refs": ", ".join(members)}
    if kind == CollectiveEventKind.MEMBER_ADDED:
        return _("Added %(refs)s; %(count)s cases now.") % {
            "refs": ", ".join(payload.get("cases", [])),
            "count": members,
        }
    if kind == CollectiveEventKind.MEMBER_REMOVED:
        return _("Removed %(ref)s; %(count)s cases now.") % {
            "ref": payload.get("case", ""),
            "count": members,
        }
    if kind == CollectiveEventKind.CLOSED and payload.get("dismissed"):
        return _("The proposal was dismissed; its cases may be grouped again.")
    return ""


def collective_event_words(event: CollectiveEvent) -> CollectiveEvent:
    """``event_words`` for a collective case's timeline (shown to staff only)."""
    event.summary = collective_event_summary(event)  # type: ignore[attr-defined]
    return event
