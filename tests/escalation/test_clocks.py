"""Each clock of each tier, at its boundaries, through the real sweep and services."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from casework import actions
from casework.sweep import stage_escalate, sweep_overdue
from complaints.choices import CaseStatus, EventKind, PaymentMethod, Urgency
from complaints.errors import Forbidden, NotFound
from complaints.tiers import Tier
from escalation.models import DeadlinePolicy, StageCloseReason, TierStage
from escalation.selectors import stage_current
from tests.factories import OrderFactory, case_filed

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)  # a Wednesday
SECOND = timedelta(seconds=1)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def assert_moves_exactly_at(case, due: datetime, *, to: str) -> None:  # type: ignore[no-untyped-def]
    """Just before: nothing. At the deadline: one move. Just after: nothing more."""
    assert sweep_overdue(now=due - SECOND).escalated == 0
    case.refresh_from_db()
    assert case.tier != to
    assert sweep_overdue(now=due).escalated == 1
    assert sweep_overdue(now=due + SECOND).escalated == 0
    case.refresh_from_db()
    assert case.tier == to


def move_to(case, tier: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
    while case.tier != tier:
        assert stage_escalate(stage_id=stage_current(case).pk, now=now)
        case.refresh_from_db()


@pytest.mark.parametrize(("urgency", "hours"), [(Urgency.NORMAL, 24), (Urgency.URGENT, 2)])
def test_platform_first_response(complainant, urgency: str, hours: int) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0, urgency=urgency)
    assert_moves_exactly_at(case, T0 + timedelta(hours=hours), to=Tier.WATCHDOG)
    stage = case.stages.get(tier=Tier.PLATFORM)
    assert stage.close_reason == StageCloseReason.EXPIRED


def test_a_response_stops_the_first_response_clock_and_the_update_clock_runs_on(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant, now=T0)
    actions.case_record_response(
        case=case,
        actor=triager,
        source="respondent",
        text="已记录,将尽快处理",
        now=T0 + timedelta(hours=1),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.RESPONDED
    stage = stage_current(case)
    assert stage.first_response_due_at is None and stage.responded_at == T0 + timedelta(hours=1)
    assert sweep_overdue(now=T0 + timedelta(hours=24)).escalated == 0
    # The template reply followed by silence: the 48 h update clock catches it.
    assert_moves_exactly_at(case, T0 + timedelta(hours=48), to=Tier.WATCHDOG)


def test_the_complainants_message_restarts_the_update_clock_until_resolution_runs_out(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant, now=T0)
    actions.case_record_response(case=case, actor=triager, source="staff", now=T0)
    for hours in (40, 80, 120, 160, 200):
        actions.case_message(
            case=case,
            actor=complainant,
            text="请问处理得怎么样了?",
            now=T0 + timedelta(hours=hours),
        )
        assert stage_current(case).update_due_at == T0 + timedelta(hours=hours + 48)
    # Resolution: 7 working days from Wednesday 20 May -> end of Friday 29 May.
    assert_moves_exactly_at(case, at(2026, 5, 30, 0, 0), to=Tier.WATCHDOG)


def test_only_the_complainant_can_write_as_the_complainant(complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    with pytest.raises(NotFound):
        actions.case_message(case=case, actor=outsider, text="hi", now=T0)
    assert not case.events.filter(kind=EventKind.MESSAGE).exists()


def test_watchdog_acceptance_in_working_days_across_national_day(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=at(2026, 9, 29, 9, 0))
    move_to(case, Tier.WATCHDOG, at(2026, 9, 30, 12, 0))
    # 12315's clock starts at the recorded filing (art. 14), not at the escalation.
    assert stage_current(case).first_response_due_at is None
    actions.case_record_external_reference(
        case=case,
        actor=complainant,
        reference="12315-1",
        filed_at=at(2026, 9, 30, 15, 0),
        now=at(2026, 9, 30, 16, 0),
    )
    # 1-7 Oct off, Saturday 10 Oct worked: 8, 9, 10, 12, 13, 14, 15 Oct.
    assert stage_current(case).first_response_due_at == at(2026, 10, 16, 0, 0)
    assert_moves_exactly_at(case, at(2026, 10, 16, 0, 0), to=Tier.PAYMENT)


def test_watchdog_resolution_is_45_working_days(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    opened = at(2026, 9, 30, 15, 0)
    case = case_filed(complainant=complainant, now=at(2026, 9, 29, 9, 0))
    move_to(case, Tier.WATCHDOG, opened)
    # The mediation clock starts at 12315's recorded acceptance (art. 21).
    actions.case_record_acceptance(case=case, actor=complainant, accepted_at=opened, now=opened)
    # Counted independently: the 45th working day after 30 Sept, by the library itself.
    workdays = chinese_calendar.get_workdays(
        at(2026, 10, 1, 0, 0).date(), at(2026, 12, 31, 0, 0).date()
    )
    due = datetime.combine(workdays[44] + timedelta(days=1), datetime.min.time(), tzinfo=SH)
    assert_moves_exactly_at(case, due, to=Tier.PAYMENT)


def test_payment_first_reply_24h_and_resolution_72h(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    # WeChat Pay's published complaint rules; the other channels: test_waiting_clocks.py
    wechat = {"payment_method": PaymentMethod.WECHAT_PAY}
    case = case_filed(
        complainant=complainant, now=T0, order=OrderFactory(owner=complainant, **wechat)
    )
    move_to(case, Tier.PAYMENT, T0)
    assert_moves_exactly_at(case, T0 + timedelta(hours=24), to=Tier.LEGAL)

    other = case_filed(
        complainant=complainant, now=T0, order=OrderFactory(owner=complainant, **wechat)
    )
    move_to(other, Tier.PAYMENT, T0)
    actions.case_record_response(case=other, actor=triager, source="respondent", now=T0)
    assert_moves_exactly_at(other, T0 + timedelta(hours=72), to=Tier.LEGAL)


def test_escalation_through_all_four_tiers_and_the_stop_at_the_last(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0, urgency=Urgency.URGENT)
    actions.case_assign(case=case, assignee=triager, actor=triager, now=T0)
    now = T0
    for tier in (Tier.WATCHDOG, Tier.PAYMENT, Tier.LEGAL):
        if case.tier == Tier.WATCHDOG:  # 12315's clock waits for the recorded filing
            actions.case_record_external_reference(
                case=case, actor=complainant, reference="12315-1", now=now
            )
        now = stage_current(case).next_due_at
        assert sweep_overdue(now=now).escalated == 1
        case.refresh_from_db()
        assert case.tier == tier
    legal = stage_current(case)
    assert legal.next_due_at == now + timedelta(days=7)  # urgent legal check-in
    result = sweep_overdue(now=legal.next_due_at)
    assert (result.escalated, result.flagged) == (0, 1)
    case.refresh_from_db()
    assert case.tier == Tier.LEGAL and case.needs_staff_attention
    assert stage_current(case).pk == legal.pk  # still open: nothing above the last tier
    assert sweep_overdue(now=legal.next_due_at + timedelta(days=30)).flagged == 0
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.ESCALATED) == 3 and kinds.count(EventKind.LADDER_EXHAUSTED) == 1
    assert list(case.stages.values_list("tier", flat=True)) == [
        Tier.PLATFORM,
        Tier.WATCHDOG,
        Tier.PAYMENT,
        Tier.LEGAL,
    ]


def test_pause_while_awaiting_the_complainant_and_resume_with_the_time_left(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant, now=T0)
    actions.case_request_evidence(
        case=case, actor=triager, message="请补充付款凭证", now=T0 + timedelta(hours=10)
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_COMPLAINANT
    assert sweep_overdue(now=T0 + timedelta(days=20)).escalated == 0
    resume = T0 + timedelta(hours=100)
    actions.case_message(case=case, actor=complainant, text="已上传付款凭证", now=resume)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    # 14 of the 24 hours were left when it paused.
    assert_moves_exactly_at(case, resume + timedelta(hours=14), to=Tier.WATCHDOG)


def test_no_escalation_in_the_instant_a_case_resumes(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    # The sweep did not run before staff asked for evidence: the clock was already out.
    actions.case_request_evidence(
        case=case, actor=triager, message="请补充截图", now=T0 + timedelta(hours=25)
    )
    resume = T0 + timedelta(hours=30)
    actions.case_message(case=case, actor=complainant, text="已补充", now=resume)
    assert sweep_overdue(now=resume).escalated == 0
    assert_moves_exactly_at(case, resume + timedelta(hours=1), to=Tier.WATCHDOG)


def test_a_policy_change_keeps_promised_deadlines_until_a_recalculation(  # type: ignore[no-untyped-def]
    complainant, supervisor
) -> None:
    from escalation.services import stage_recalculate

    case = case_filed(complainant=complainant, now=T0)
    DeadlinePolicy.objects.filter(tier=Tier.PLATFORM, urgency=Urgency.NORMAL).update(
        first_response_amount=12
    )
    stage = stage_current(case)
    assert stage.first_response_due_at == T0 + timedelta(hours=24)
    assert stage.terms["first_response"] == {"amount": 24, "unit": "hours"}
    assert sweep_overdue(now=T0 + timedelta(hours=12)).escalated == 0
    assert stage_recalculate(stage=stage, actor=supervisor, now=T0 + timedelta(hours=1))
    stage.refresh_from_db()
    assert stage.first_response_due_at == T0 + timedelta(hours=12)
    assert case.events.filter(kind=EventKind.DEADLINE_WARNING, actor=supervisor).exists()
    other = case_filed(complainant=complainant, now=T0)
    assert stage_current(other).first_response_due_at == T0 + timedelta(hours=12)


def test_external_reference_records_the_filing(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    move_to(case, Tier.WATCHDOG, T0 + timedelta(days=1))
    actions.case_record_external_reference(
        case=case, actor=complainant, reference="12315-2026-0001", now=T0 + timedelta(days=2)
    )
    stage = TierStage.objects.get(case=case, tier=Tier.WATCHDOG)
    assert stage.external_reference == "12315-2026-0001"
    assert stage.filed_at == T0 + timedelta(days=2)


def test_staff_escalation_needs_the_permission(complainant, triager, supervisor) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    # The triager sees the case but escalating is not theirs to do (the API answers 403).
    with pytest.raises(Forbidden):
        actions.case_escalate_by_staff(case=case, actor=triager, now=T0)
    actions.case_escalate_by_staff(case=case, actor=supervisor, now=T0 + timedelta(hours=1))
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG
    closed = case.stages.get(tier=Tier.PLATFORM)
    assert closed.close_reason == StageCloseReason.ESCALATED_BY_STAFF
    assert case.events.get(kind=EventKind.ESCALATED).actor == supervisor


def test_at_the_last_tier_each_check_in_reminds_once(complainant) -> None:  # type: ignore[no-untyped-def]
    from notifications.models import OutboxEmail

    case = case_filed(complainant=complainant, now=T0)
    move_to(case, Tier.LEGAL, T0)
    first = stage_current(case).next_due_at
    assert sweep_overdue(now=first).flagged == 1
    # The complainant writes: the check-in clock starts again and reminds again, once.
    actions.case_message(case=case, actor=complainant, text="法院还没有立案", now=first)
    second = stage_current(case).next_due_at
    assert second == first + timedelta(days=14)
    assert sweep_overdue(now=second).flagged == 1
    assert sweep_overdue(now=second + timedelta(days=1)).flagged == 0
    reminders = OutboxEmail.objects.filter(case=case, template="ladder_end")
    assert reminders.count() == 2
