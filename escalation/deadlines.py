"""Pure deadline arithmetic: given a tier, an urgency and a moment, when is each clock due.

Nothing here reads the clock or the database; callers pass ``now``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from complaints.choices import Urgency

from .ladder import Tier


@dataclass(frozen=True)
class StageDeadlines:
    first_response_due_at: datetime | None
    update_due_at: datetime | None
    resolution_due_at: datetime | None

    @property
    def next_due_at(self) -> datetime | None:
        due = [
            d
            for d in (self.first_response_due_at, self.update_due_at, self.resolution_due_at)
            if d is not None
        ]
        return min(due) if due else None


# Calendar hours per tier: (first response, update, resolution). DOMAIN.md's figures.
DEFAULT_HOURS: dict[str, tuple[int | None, int | None, int | None]] = {
    Tier.PLATFORM: (24, 48, 7 * 24),
    Tier.WATCHDOG: (7 * 24, None, 45 * 24),
    Tier.PAYMENT: (24, None, 72),
    Tier.LEGAL: (None, 14 * 24, None),
}
URGENT_FIRST_RESPONSE_HOURS = {Tier.PLATFORM: 2}


def stage_deadlines(*, tier: str, urgency: str, opened_at: datetime) -> StageDeadlines:
    first, update, resolution = DEFAULT_HOURS[tier]
    if urgency == Urgency.URGENT and tier in URGENT_FIRST_RESPONSE_HOURS:
        first = URGENT_FIRST_RESPONSE_HOURS[tier]

    def after(hours: int | None) -> datetime | None:
        return opened_at + timedelta(hours=hours) if hours is not None else None

    return StageDeadlines(after(first), after(update), after(resolution))
