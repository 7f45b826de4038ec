"""Clocks that follow what actually happened: accepted promises, answered evidence
requests, outside bodies' own clocks and the payment channel's terms; and who the case
waits on, the same in the portal and the API."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from casework import actions
from casework.sweep import stage_escalate, sweep_overdue
from complaints.choices import CaseStatus, EventKind, PaymentMethod
from complaints.errors import InvalidTransition
from complaints.tiers import Tier
from escalation.selectors import stage_current
from escalation.waiting import Waiting, waiting_on
from notifications.models import OutboxEmail
from portal.pages import case_page
from tests.factories import OrderFactory, case_filed

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)  # a Wednesday
SECOND = timedelta(seconds=1)
H = timedelta(hours=1)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def move_to(case, tier: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
    while case.tier != tier:
        assert stage_escalate(stage_id=stage_current(case).pk, now=now)
        case.refresh_from_db()


def waiting(case) -> Waiting:  # type: ignore[no-untyped-def]
    case.refresh_from_db()
    return waiting_on(case, stage_current(case))


def png() -> SimpleUploadedFile:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("order.png", buffer.getvalue(), content_type="image/png")


def test_accepting_a_promise_stops_escalation_until_its_date_then_the_case_returns_with_its_time(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant, now=T0)
    actions.case_record_response(
        case=case, actor=triager, source="respondent", text="3个工作日内原路退款", now=T0 + H
    )
    assert waiting(case) == Waiting.COMPLAINANT_DECIDES
    promised = T0 + timedelta(hours=72)
    actions.case_accept_response(case=case, actor=complainant, promised_by=promised, now=T0 + 3 * H)
    assert waiting(case) == Waiting.FULFILMENT
    stage = stage_current(case)
    assert stage.accepted_at == T0 + 3 * H and stage.fulfilment_due_at == promised
    # The 48 h update clock would have run out at hour 48: accepted, nothing moves.
    assert sweep_overdue(now=T0 + timedelta(hours=48)).escalated == 0
    assert sweep_overdue(now=promised - SECOND).returned == 0
    result = sweep_overdue(now=promised)
    assert (result.returned, result.escalated) == (1, 0)
    assert sweep_overdue(now=promised + SECOND).returned == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.tier == Tier.PLATFORM
    assert case.events.filter(kind=EventKind.FULFILMENT_MISSED).count() == 1
    assert waiting(case) == Waiting.RESPONDENT
    # The update clock had 45 h left at acceptance (due at hour 48, accepted at hour 3).
    due = promised + timedelta(hours=45)
    assert stage_current(case).update_due_at == due
    assert sweep_overdue(now=due - SECOND).escalated == 0
    assert sweep_overdue(now=due).escalated == 1
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG


def test_accepting_without_a_date_runs_to_the_resolution_deadline_and_confirming_closes_it(  # type: ignore[no-untyped-def]
    complainant, triager, supervisor
) -> None:
    case = case_filed(complainant=complainant, now=T0)
    actions.case_record_response(case=case, actor=triager, source="staff", now=T0 + H)
    actions.case_accept_response(case=case, actor=complainant, now=T0 + 3 * H)
    stage = stage_current(case)
    assert stage.fulfilment_due_at == stage.resolution_due_at == at(2026, 5, 30, 0, 0)
    with pytest.raises(InvalidTransition):
        actions.case_escalate_by_staff(case=case, actor=supervisor, now=T0 + 4 * H)
    actions.case_resolve(case=case, outcome="refund_received", actor=complainant, now=T0 + 5 * H)
    assert sweep_overdue(now=at(2026, 6, 30, 0, 0)).returned == 0
    assert waiting(case) == Waiting.NOBODY


def test_rejecting_an_accepted_promise_runs_the_clocks_on_from_where_they_stood(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant, now=T0)
    actions.case_record_response(case=case, actor=triager, source="staff", now=T0 + H)
    actions.case_accept_response(
        case=case, actor=complainant, promised_by=T0 + 100 * H, now=T0 + 3 * H
    )
    actions.case_reject_response(case=case, actor=complainant, reason="没有退款", now=T0 + 10 * H)
    stage = stage_current(case)
    assert stage.accepted_at is None and stage.paused_at is None
    assert stage.update_due_at == T0 + 10 * H + 45 * H


def test_an_upload_answers_a_request_for_evidence_and_the_clock_runs_again(  # type: ignore[no-untyped-def]
    complainant, triager, settings
) -> None:
    settings.ESCALATION_RESUME_MINIMUM_MINUTES = 60
    case = case_filed(complainant=complainant, now=T0)
    actions.case_request_evidence(case=case, actor=triager, message="请上传订单记录", now=T0 + H)
    assert waiting(case) == Waiting.COMPLAINANT_EVIDENCE
    assert sweep_overdue(now=T0 + 200 * H).escalated == 0  # paused: nothing runs out
    actions.case_evidence_add(
        case=case, actor=complainant, files=[png()], kind="order_record", now=T0 + 200 * H
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.events.filter(kind=EventKind.CLOCKS_RESUMED).count() == 1
    stage = stage_current(case)
    assert stage.paused_at is None
    assert stage.first_response_due_at == T0 + 200 * H + 23 * H  # 23 h were left
    assert waiting(case) == Waiting.RESPONDENT


def test_staff_can_resume_a_paused_case(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    actions.case_request_evidence(case=case, actor=triager, message="请上传", now=T0 + H)
    actions.case_resume(case=case, actor=triager, now=T0 + 2 * H)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert stage_current(case).first_response_due_at == T0 + 2 * H + 23 * H
    with pytest.raises(InvalidTransition):
        actions.case_resume(case=case, actor=triager, now=T0 + 3 * H)


def test_12315_clocks_run_from_the_recorded_filing_and_acceptance(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    move_to(case, Tier.WATCHDOG, T0)
    stage = stage_current(case)
    assert stage.next_due_at is None and stage.file_by_at == T0 + timedelta(days=3)
    assert waiting(case) == Waiting.COMPLAINANT_FILES_OUTSIDE
    # The reminder: just before nothing, at it one reminder email and event, no escalation.
    assert sweep_overdue(now=T0 + timedelta(days=3) - SECOND).reminded == 0
    result = sweep_overdue(now=T0 + timedelta(days=3))
    assert (result.reminded, result.escalated) == (1, 0)
    assert sweep_overdue(now=T0 + timedelta(days=30)).reminded == 0
    assert case.events.filter(kind=EventKind.FILING_REMINDER).count() == 1
    assert OutboxEmail.objects.filter(dedupe_key=f"file-reminder:{stage.pk}").count() == 1
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG
    # Filed on Monday 1 June at 10:00, recorded later: 7 working days from then.
    filed = at(2026, 6, 1, 10, 0)
    actions.case_record_external_reference(
        case=case, actor=complainant, reference="12315-001", filed_at=filed, now=filed + H
    )
    accept_due = at(2026, 6, 11, 0, 0)  # 2-10 June (端午 19 June is later)
    assert stage_current(case).first_response_due_at == accept_due
    assert waiting(case) == Waiting.OUTSIDE_BODY
    actions.case_record_acceptance(
        case=case, actor=complainant, accepted_at=at(2026, 6, 5, 9, 0), now=at(2026, 6, 5, 12, 0)
    )
    stage = stage_current(case)
    assert stage.first_response_due_at is None
    assert stage.resolution_due_at == stage.clock_start("resolution") + (
        stage.resolution_due_at - stage.outside_accepted_at
    )
    assert stage.outside_accepted_at == at(2026, 6, 5, 9, 0)
    assert sweep_overdue(now=accept_due).escalated == 0
    due = stage.resolution_due_at
    assert sweep_overdue(now=due - SECOND).escalated == 0
    assert sweep_overdue(now=due).escalated == 1


@pytest.mark.parametrize(
    ("method", "first", "resolution"),
    [
        (PaymentMethod.WECHAT_PAY, 24, 72),
        (PaymentMethod.BANK_CARD, None, 72),
    ],
)
def test_payment_terms_follow_the_channel(complainant, method, first, resolution) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant, payment_method=method)
    case = case_filed(complainant=complainant, order=order, now=T0)
    move_to(case, Tier.PAYMENT, T0)
    stage = stage_current(case)
    assert stage.first_response_due_at == (T0 + timedelta(hours=first) if first else None)
    assert stage.resolution_due_at == T0 + timedelta(hours=resolution)


def test_an_alipay_complaint_runs_to_the_expiry_alipay_gives_it(complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant, payment_method=PaymentMethod.ALIPAY)
    case = case_filed(complainant=complainant, order=order, now=T0)
    move_to(case, Tier.PAYMENT, T0)
    assert stage_current(case).next_due_at is None
    assert waiting(case) == Waiting.COMPLAINANT_FILES_OUTSIDE
    expiry = T0 + timedelta(days=10)
    actions.case_record_external_reference(
        case=case, actor=complainant, reference="2026052000001", expires_at=expiry, now=T0 + H
    )
    assert stage_current(case).resolution_due_at == expiry
    assert sweep_overdue(now=expiry - SECOND).escalated == 0
    assert sweep_overdue(now=expiry).escalated == 1


def test_the_waiting_state_is_the_same_in_the_portal_and_the_api(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant)
    actions.case_record_response(case=case, actor=triager, source="staff")
    page = case_page(complainant, reference=case.reference, now=T0)
    assert page.row.waiting == Waiting.COMPLAINANT_DECIDES
    client = APIClient()
    client.force_authenticate(complainant)
    body = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert body["waiting_on"] == "complainant_decides"
    promised = (case.updated_at + timedelta(days=3)).isoformat()
    response = client.post(
        f"/api/v1/cases/{case.pk}/accept-response/", {"promised_by": promised}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["waiting_on"] == "fulfilment"
    assert response.json()["stage"]["fulfilment_due_at"] is not None
    page = case_page(complainant, reference=case.reference, now=T0)
    assert page.row.waiting == Waiting.FULFILMENT and page.row.clock.promise
