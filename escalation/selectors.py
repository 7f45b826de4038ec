"""Reads about stages and deadlines (access is checked by the case selectors that feed them)."""

from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta

from complaints.models import ComplaintCase

from .models import TierStage

LIMITATION_YEARS = 3  # 民法典 art. 188
LIMITATION_WARNING_MONTHS = 30


def stage_current(case: ComplaintCase) -> TierStage | None:
    """The open stage of the case, or None once the case has ended."""
    return TierStage.objects.filter(case=case, closed_at__isnull=True).first()


@dataclass(frozen=True)
class LimitationStatus:
    """Where the three-year limitation period stands (民法典 art. 188, 195)."""

    started_at: datetime
    interruptions: list[datetime]
    runs_from: datetime
    warn_from: datetime
    expires_at: datetime
    warning: bool
    expired: bool


def case_limitation(case: ComplaintCase, *, now: datetime) -> LimitationStatus:
    """The period runs from when the complainant learned of the harm and restarts at each
    recorded filing at a tier (a demand, art. 195).

    Shown as guidance, not legal advice: a court decides what counted as a demand, so
    filings are "possible" interruptions and the warning is computed from the latest.
    """
    filed = TierStage.objects.filter(case=case, filed_at__isnull=False).values_list(
        "filed_at", flat=True
    )
    interruptions = sorted(
        at for at in filed if at is not None and at >= case.harm_noticed_at and at <= now
    )
    runs_from = max([case.harm_noticed_at, *interruptions])
    expires_at = runs_from + relativedelta(years=LIMITATION_YEARS)
    warn_from = runs_from + relativedelta(months=LIMITATION_WARNING_MONTHS)
    return LimitationStatus(
        started_at=case.harm_noticed_at,
        interruptions=interruptions,
        runs_from=runs_from,
        warn_from=warn_from,
        expires_at=expires_at,
        warning=warn_from <= now < expires_at,
        expired=now >= expires_at,
    )
