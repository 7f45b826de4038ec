from typing import Any

from django import template
from django.utils import timezone

from escalation.calendar import (
    calendar_current,
    calendar_reminder_text,
    calendar_reminder_year,
    explanation_display,
    stage_explanation,
)

register = template.Library()


@register.simple_tag
def calendar_reminder() -> str:
    """The yearly reminder to enter next year's notice, or "" when none is due."""
    year = calendar_reminder_year(now=timezone.now())
    return calendar_reminder_text(year) if year is not None else ""


@register.simple_tag
def deadline_explanation(stage: Any) -> list[dict[str, Any]]:
    """How the stage's clocks were counted, for the case page's details block."""
    if stage is None:
        return []
    return explanation_display(stage_explanation(stage, calendar_current()))


@register.simple_tag
def deadlines_moved(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The clocks a recalculation event moved, old and new due times as datetimes."""
    from django.utils.dateparse import parse_datetime

    from escalation.calendar import CLOCK_LABELS

    before, after = payload.get("before") or {}, payload.get("after") or {}
    return [
        {
            "clock": CLOCK_LABELS.get(clock, clock),
            "before": parse_datetime(before.get(clock) or ""),
            "after": parse_datetime(after.get(clock) or ""),
        }
        for clock in CLOCK_LABELS
        if before.get(clock) != after.get(clock)
    ]
