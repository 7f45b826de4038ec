from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from casework.sweep import stage_escalate, sweep_overdue
from complaints.choices import EventKind, Urgency
from complaints.tiers import Tier, tier_next
from escalation.models import TierStage
from tests.factories import case_filed

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_ladder_order() -> None:
    assert [tier_next(t) for t in Tier] == [Tier.WATCHDOG, Tier.PAYMENT, Tier.LEGAL, None]


def test_sweep_leaves_a_stage_alone_until_its_deadline(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW, urgency=Urgency.URGENT)
    assert sweep_overdue(now=NOW + timedelta(hours=2) - timedelta(seconds=1)).escalated == 0
    assert sweep_overdue(now=NOW + timedelta(hours=2)).escalated == 1
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG
    assert case.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_escalating_twice_is_a_no_op(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    stage = case.stages.get()
    assert stage_escalate(stage_id=stage.pk, now=NOW + timedelta(days=1))
    assert not stage_escalate(stage_id=stage.pk, now=NOW + timedelta(days=1))
    assert TierStage.objects.filter(case=case).count() == 2
    assert case.events.filter(kind=EventKind.ESCALATED).count() == 1
