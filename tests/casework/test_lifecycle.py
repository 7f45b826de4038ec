"""Issue 10 (lifecycle part): the sealed record and its amendments, urgency, honest
outcomes, reopening and closing, staff resolving after silence, and the next step."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from casework import actions
from casework.nextstep import next_step
from complaints.choices import CaseStatus, EventKind, ProblemType, ResolutionOutcome, Urgency
from complaints.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from complaints.models import ComplaintCase
from complaints.records import record_hash_of, record_hash_sealed
from complaints.services import urgency_suggested
from complaints.tiers import Tier
from escalation.documents import tier_documents
from escalation.models import TierStage
from evidence.integrity import case_verify
from notifications.models import OutboxEmail
from tests.factories import case_filed

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WINDOW = timedelta(days=30)
SILENCE = timedelta(days=7)


def fresh(case: ComplaintCase) -> ComplaintCase:
    return ComplaintCase.objects.select_related("order").get(pk=case.pk)


# --- the sealed record ------------------------------------------------------------------


def test_filing_seals_the_record_hash(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    filed = case.events.get(kind=EventKind.FILED)
    assert filed.payload["record_sha256"] == record_hash_of(fresh(case))
    assert case_verify(fresh(case)) == []


def test_an_amendment_records_who_why_before_after_and_emails_the_complainant(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant, now=NOW, description="付款后订单消失")
    event = actions.case_amend(
        case=case,
        actor=triager,
        field="description",
        value="付款后订单消失,客服不回复",
        reason="投诉人电话补充",
        now=NOW + timedelta(hours=1),
    )
    assert event.kind == EventKind.AMENDED and event.actor == triager
    assert event.payload["before"] == "付款后订单消失"
    assert event.payload["after"] == "付款后订单消失,客服不回复"
    assert event.payload["reason"] == "投诉人电话补充" and event.payload["by"] == "staff"
    case = fresh(case)
    assert case.description == "付款后订单消失,客服不回复"
    # The filing event keeps the original; the record hash follows the amendment.
    assert case.events.get(kind=EventKind.FILED).payload["record_sha256"] != record_hash_of(case)
    assert record_hash_sealed(case) == record_hash_of(case)
    assert case_verify(case) == []
    mail = OutboxEmail.objects.get(dedupe_key=f"amended:{event.pk}")
    assert "付款后订单消失,客服不回复" in mail.body and "投诉人电话补充" in mail.body


def test_the_complainant_amends_an_order_field_and_documents_say_so(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    actions.case_amend(
        case=case, actor=complainant, field="order.amount", value="35.50", reason="抄错金额"
    )
    case = fresh(case)
    assert case.order.amount == Decimal("35.50")
    for language, line in (("zh-hans", "本投诉的以下内容已于提交后更正"), ("en", "Corrected")):
        for tier in Tier.values:
            for document in tier_documents(case=case, tier=tier, language=language):
                assert line in document.body, (document.form, language)
                assert "35.50" in document.body, (document.form, language)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_amendment_without_a_reason_is_refused_on_the_reason_field(  # type: ignore[no-untyped-def]
    complainant, reason
) -> None:
    case = case_filed(complainant=complainant, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        actions.case_amend(
            case=case, actor=complainant, field="description", value="新的描述", reason=reason
        )
    assert "reason" in refused.value.fields
    assert not case.events.filter(kind=EventKind.AMENDED).exists()


def test_amendments_are_refused_for_outsiders_and_unknown_fields(complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    with pytest.raises(NotFound):
        actions.case_amend(case=case, actor=outsider, field="description", value="x", reason="y")
    with pytest.raises(InvalidInput) as refused:
        actions.case_amend(case=case, actor=complainant, field="status", value="x", reason="y")
    assert "field" in refused.value.fields


def test_a_raw_sql_update_is_caught_by_verify_evidence(complainant) -> None:  # type: ignore[no-untyped-def]
    """Runs on SQLite and on PostgreSQL (whichever the suite runs on)."""
    case = case_filed(complainant=complainant, now=NOW)
    table = ComplaintCase._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET description = %s WHERE id = %s", ["改过了", case.pk])  # noqa: S608
    problems = case_verify(fresh(case))
    assert len(problems) == 1 and "record" in problems[0].problem
    with pytest.raises(CommandError):
        call_command("verify_evidence", case.reference)


def test_the_admin_shows_a_filed_case_and_its_order_read_only(  # type: ignore[no-untyped-def]
    complainant, supervisor, client
) -> None:
    case = case_filed(complainant=complainant, now=NOW)
    client.force_login(supervisor)
    page = client.get(reverse("admin:complaints_complaintcase_change", args=[case.pk]))
    assert page.status_code == 200
    form_fields = page.context["adminform"].form.fields
    for name in ("description", "demand_text", "demand_amount", "demand_kind", "complainant"):
        assert name not in form_fields, name
    order_page = client.get(reverse("admin:complaints_order_change", args=[case.order_id]))
    for name in ("order_number", "product_name", "amount", "paid_at", "payment_reference"):
        assert name not in order_page.context["adminform"].form.fields, name
    client.post(
        reverse("admin:complaints_complaintcase_amend", args=[case.pk]),
        {"field": "order.product_name", "value": "腾讯视频 SVIP 年卡", "reason": "商品名写错"},
    )
    assert fresh(case).order.product_name == "腾讯视频 SVIP 年卡"
    refused = client.post(
        reverse("admin:complaints_complaintcase_amend", args=[case.pk]),
        {"field": "description", "value": "x" * 20, "reason": " "},
    )
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors


# --- urgency ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "problem_type", "suggested"),
    [
        ("今晚活动结束,很紧急", ProblemType.INVALID_CARD_KEY, True),
        ("急用,请尽快", ProblemType.NOT_DELIVERED, True),
        ("URGENT please", ProblemType.NETWORK_ERROR, True),
        ("订单不见了", ProblemType.LOST_ORDER_VANISHED, True),
        ("订单卡住", ProblemType.LOST_ORDER_STUCK, True),
        ("卡密无效", ProblemType.INVALID_CARD_KEY, False),
    ],
)
def test_urgency_is_suggested_for_urgent_words_and_lost_orders(  # type: ignore[no-untyped-def]
    description, problem_type, suggested
) -> None:
    assert urgency_suggested(description=description, problem_type=problem_type) is suggested


def test_urgent_needs_a_reason_and_gets_the_two_hour_clock(complainant) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        case_filed(complainant=complainant, urgency=Urgency.URGENT, urgency_reason="  ", now=NOW)
    assert "urgency_reason" in refused.value.fields
    case = case_filed(
        complainant=complainant, urgency=Urgency.URGENT, urgency_reason="今天急用", now=NOW
    )
    assert case.urgency_reason == "今天急用"
    assert case.stages.get().first_response_due_at == NOW + timedelta(hours=2)
    for tier in Tier.values:
        for document in tier_documents(case=case, tier=tier, language="zh-hans"):
            assert "【紧急投诉】" in document.body, document.form
        for document in tier_documents(case=case, tier=tier, language="en"):
            assert "[URGENT]" in document.body, document.form


# --- outcomes, reopening, closing ---------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_a_response_needs_a_reason(complainant, triager, reason) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    actions.case_record_response(case=case, actor=triager, source="respondent", now=NOW)
    with pytest.raises(InvalidInput) as refused:
        actions.case_reject_response(case=case, actor=complainant, reason=reason)
    assert "reason" in refused.value.fields
    assert fresh(case).status == CaseStatus.RESPONDED


def test_mark_resolved_offers_only_resolutions(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    with pytest.raises(InvalidInput):
        actions.case_resolve(case=case, actor=complainant, outcome=ResolutionOutcome.NONE)
    actions.case_resolve(case=case, actor=complainant, now=NOW)
    assert fresh(case).resolution_outcome == ResolutionOutcome.RESOLVED


@pytest.mark.parametrize(
    "outcome", [ResolutionOutcome.WITHDRAWN, ResolutionOutcome.GAVE_UP, ResolutionOutcome.NONE]
)
def test_endings_without_a_resolution_are_distinct_and_close(complainant, outcome) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    actions.case_withdraw(case=case, actor=complainant, outcome=outcome, now=NOW)
    assert (fresh(case).status, fresh(case).resolution_outcome) == (CaseStatus.WITHDRAWN, outcome)
    assert actions.cases_close_due(now=NOW) == 1
    assert fresh(case).status == CaseStatus.CLOSED
    with pytest.raises(InvalidTransition):
        actions.case_reopen(case=fresh(case), actor=complainant, reason="再试试")


def _resolved(complainant) -> ComplaintCase:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW - timedelta(days=1))
    actions.case_resolve(case=case, actor=complainant, now=NOW)
    return fresh(case)


@pytest.mark.parametrize(
    ("offset", "reopens"),
    [(-timedelta(seconds=1), True), (timedelta(0), False), (timedelta(seconds=1), False)],
)
def test_the_reopen_window_at_its_boundary(complainant, offset, reopens) -> None:  # type: ignore[no-untyped-def]
    case = _resolved(complainant)
    at = NOW + WINDOW + offset
    with time_machine.travel(at, tick=False):
        if reopens:
            actions.case_reopen(case=case, actor=complainant, reason="退款被撤回")
            case = fresh(case)
            assert (case.status, case.resolution_outcome, case.closed_at) == (
                CaseStatus.IN_PROGRESS,
                "",
                None,
            )
            stage = TierStage.objects.get(case=case, closed_at__isnull=True)
            assert stage.tier == Tier.PLATFORM and stage.next_due_at > at
            assert case.events.last().kind == EventKind.REOPENED
            assert actions.cases_close_due(now=at) == 0
        else:
            with pytest.raises(InvalidTransition):
                actions.case_reopen(case=case, actor=complainant, reason="退款被撤回")
            assert actions.cases_close_due(now=at) == 1
            assert fresh(case).status == CaseStatus.CLOSED


def test_closing_waits_for_the_window_and_runs_once(complainant) -> None:  # type: ignore[no-untyped-def]
    case = _resolved(complainant)
    assert actions.cases_close_due(now=NOW + WINDOW - timedelta(seconds=1)) == 0
    assert actions.cases_close_due(now=NOW + WINDOW) == 1
    assert actions.cases_close_due(now=NOW + WINDOW) == 0
    assert case.events.filter(kind=EventKind.CLOSED).count() == 1


def test_only_the_complainant_reopens_with_a_reason(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = _resolved(complainant)
    with pytest.raises(Forbidden):
        actions.case_reopen(case=case, actor=triager, reason="x", now=NOW)
    with pytest.raises(InvalidInput):
        actions.case_reopen(case=case, actor=complainant, reason=" ", now=NOW)


def _fulfilled(complainant, triager) -> ComplaintCase:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW - timedelta(hours=1))
    actions.case_record_response(
        case=case, actor=triager, source="respondent", text="已退款", now=NOW
    )
    return fresh(case)


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [(-timedelta(seconds=1), False), (timedelta(0), True), (timedelta(seconds=1), True)],
)
def test_staff_resolve_after_the_complainant_stayed_silent(  # type: ignore[no-untyped-def]
    complainant, triager, offset, allowed
) -> None:
    case = _fulfilled(complainant, triager)
    at = NOW + SILENCE + offset
    if allowed:
        actions.case_resolve_by_staff(case=case, actor=triager, reason="已退款,未回复", now=at)
        case = fresh(case)
        assert (case.status, case.resolution_outcome) == (
            CaseStatus.RESOLVED,
            ResolutionOutcome.RESOLVED_BY_STAFF,
        )
    else:
        with pytest.raises(InvalidTransition) as refused:
            actions.case_resolve_by_staff(case=case, actor=triager, reason="已退款", now=at)
        assert "2026-05-27 09:00" in str(refused.value.message)


def test_staff_resolve_needs_a_reason_a_fulfilment_and_counts_from_the_last_word(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    later = NOW + SILENCE * 2
    unanswered = case_filed(complainant=complainant, now=NOW)
    with pytest.raises(InvalidTransition):
        actions.case_resolve_by_staff(case=unanswered, actor=triager, reason="x", now=later)
    case = _fulfilled(complainant, triager)
    with pytest.raises(InvalidInput):
        actions.case_resolve_by_staff(case=case, actor=triager, reason="  ", now=later)
    # The complainant spoke a day after the fulfilment: the silence counts from then.
    spoke = NOW + timedelta(days=1)
    actions.case_message(case=case, actor=complainant, text="还没到账", now=spoke)
    with pytest.raises(InvalidTransition):
        actions.case_resolve_by_staff(
            case=fresh(case), actor=triager, reason="x", now=spoke + SILENCE - timedelta(seconds=1)
        )
    with pytest.raises(Forbidden):
        actions.case_resolve_by_staff(case=case, actor=complainant, reason="x", now=later)
    actions.case_resolve_by_staff(case=fresh(case), actor=triager, reason="x", now=spoke + SILENCE)


# --- the next step -------------------------------------------------------------------------


def _step(case: ComplaintCase) -> str:
    case = fresh(case)
    return next_step(case, TierStage.objects.filter(case=case, closed_at__isnull=True).first())


def test_next_step_never_asks_again_for_what_was_done(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    assert "Send the complaint letter" in _step(case) or "投诉信" in _step(case)
    letter = _step(case)
    # A response came in, was rejected: no going back to "send the letter".
    actions.case_record_response(case=case, actor=triager, source="respondent", now=NOW)
    actions.case_reject_response(case=fresh(case), actor=complainant, reason="只退一半")
    assert fresh(case).status == CaseStatus.IN_PROGRESS
    assert _step(case) != letter
    # A ticket number recorded, then a request for evidence answered (a resume).
    other = case_filed(complainant=complainant, now=NOW)
    actions.case_record_external_reference(case=other, actor=complainant, reference="T-1")
    actions.case_request_evidence(case=fresh(other), actor=triager, message="补充付款截图")
    actions.case_message(case=fresh(other), actor=complainant, text="已补充")
    assert fresh(other).status == CaseStatus.IN_PROGRESS
    assert _step(other) != letter
    # Resolved: it says until when it can be reopened; closed: nothing more to do.
    actions.case_resolve(case=fresh(other), actor=complainant, now=NOW)
    assert "2026-06-19" in _step(other)
    actions.cases_close_due(now=NOW + WINDOW)
    assert _step(other) != letter and "2026-06-19" not in _step(other)
