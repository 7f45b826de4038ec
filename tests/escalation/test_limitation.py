"""The three-year limitation period: shown, warned at 30 months, restarted by filings."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from casework import actions
from escalation.selectors import case_limitation, stage_current
from tests.factories import case_filed

SH = ZoneInfo("Asia/Shanghai")
NOTICED = datetime(2026, 1, 10, 12, 0, tzinfo=SH)
SECOND = timedelta(seconds=1)


def test_the_period_runs_three_years_from_when_the_harm_was_noticed(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(
        complainant=complainant, now=NOTICED + timedelta(days=3), harm_noticed_at=NOTICED
    )
    warn_from = datetime(2028, 7, 10, 12, 0, tzinfo=SH)  # 30 months
    expires = datetime(2029, 1, 10, 12, 0, tzinfo=SH)
    assert not case_limitation(case, now=warn_from - SECOND).warning
    status = case_limitation(case, now=warn_from)
    assert status.warning and not status.expired and status.expires_at == expires
    assert not case_limitation(case, now=expires - SECOND).expired
    status = case_limitation(case, now=expires)
    assert status.expired and not status.warning


def test_a_filing_at_any_tier_is_recorded_as_an_interruption(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOTICED, harm_noticed_at=NOTICED)
    filed = datetime(2027, 3, 1, 9, 0, tzinfo=SH)
    actions.case_record_external_reference(
        case=case, actor=complainant, reference="工单 88", now=filed
    )
    assert stage_current(case).filed_at == filed
    status = case_limitation(case, now=filed + timedelta(days=1))
    assert status.interruptions == [filed]
    assert status.expires_at == datetime(2030, 3, 1, 9, 0, tzinfo=SH)
    assert not case_limitation(case, now=datetime(2029, 6, 1, tzinfo=SH)).warning
