"""A Hypothesis state machine over a case's life: every act and clock event in any order,
with the ladder's invariants checked after each step.

Invariants: the tier never goes down; at most one open stage; the sweep never escalates
a stage that was paused (which includes an accepted promise whose date has not passed)
or closed, nor one whose clock had not run out; every change writes an event; the
timeline's hash chain verifies; each case escalates from each tier at most once.
"""

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from PIL import Image

from casework import actions
from casework.sweep import sweep_overdue
from complaints.choices import OPEN_STATUSES, EventKind, PaymentMethod
from complaints.errors import DomainError
from complaints.models import CaseEvent
from complaints.tiers import tier_rank
from complaints.timeline import chain_verify
from escalation.models import TierStage
from tests.factories import OrderFactory, case_filed

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)

FIGURES = {
    "examples": 0,
    "steps": 0,
    "refused": 0,
    "escalations": 0,
    "returned": 0,
    "amended": 0,
}


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile("order.png", buffer.getvalue(), content_type="image/png")


class CaseLife(RuleBasedStateMachine):
    complainant: Any = None
    triager: Any = None
    supervisor: Any = None

    def __init__(self) -> None:
        super().__init__()
        FIGURES["examples"] += 1
        self.now = T0
        # Each example in its own savepoint, rolled back at teardown: the sweep is global,
        # so an earlier example's cases must not be there to escalate.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize(method=st.sampled_from(PaymentMethod.values))
    def file(self, method: str) -> None:
        FIGURES["steps"] += 1
        order = OrderFactory(owner=self.complainant, payment_method=method)
        self.case = case_filed(complainant=self.complainant, order=order, now=self.now)
        self.max_rank = tier_rank(self.case.tier)

    # --- helpers ---------------------------------------------------------------------

    def _events(self) -> int:
        return CaseEvent.objects.filter(case_id=self.case.pk).count()

    def _act(self, fn: Any, **kwargs: Any) -> None:
        """Run an action; a refusal (a domain error) must change nothing, a success must
        write at least one event."""
        FIGURES["steps"] += 1
        self.case.refresh_from_db()
        before = self._events()
        try:
            fn(case=self.case, now=self.now, **kwargs)
        except DomainError:
            FIGURES["refused"] += 1
            assert self._events() == before
        else:
            assert self._events() > before, fn.__name__
        self.case.refresh_from_db()

    # --- the rules -------------------------------------------------------------------

    @rule()
    def answer(self) -> None:
        self._act(actions.case_record_response, actor=self.triager, source="respondent")

    @rule(promise_hours=st.none() | st.integers(min_value=1, max_value=200))
    def accept(self, promise_hours: int | None) -> None:
        promised = None if promise_hours is None else self.now + timedelta(hours=promise_hours)
        self._act(actions.case_accept_response, actor=self.complainant, promised_by=promised)

    @rule(promise_hours=st.integers(min_value=1, max_value=48))
    def promise_made_then_broken(self, promise_hours: int) -> None:
        """The story the machine would rarely find alone: an answer, accepted with a
        promised date, and the date passing without the complainant confirming it."""
        self.answer()
        self.accept(promise_hours)
        self.time_passes_and_sweep(promise_hours + 1)

    @rule()
    def reject(self) -> None:
        self._act(actions.case_reject_response, actor=self.complainant, reason="不够")

    @rule()
    def request_evidence(self) -> None:
        self._act(actions.case_request_evidence, actor=self.triager, message="请上传订单记录")

    @rule()
    def upload(self) -> None:
        FIGURES["steps"] += 1
        self.case.refresh_from_db()
        before = self._events()
        try:
            actions.case_evidence_add(
                case=self.case,
                actor=self.complainant,
                files=[_png()],
                kind="order_record",
                now=self.now,
            )
        except DomainError:
            FIGURES["refused"] += 1
        else:
            assert self._events() > before
        self.case.refresh_from_db()

    @rule()
    def message(self) -> None:
        self._act(actions.case_message, actor=self.complainant, text="请问进展?")

    @rule()
    def resume(self) -> None:
        self._act(actions.case_resume, actor=self.triager)

    @rule()
    def file_outside(self) -> None:
        expires = self.now + timedelta(days=5) if self.case.tier == "payment" else None
        self._act(
            actions.case_record_external_reference,
            actor=self.complainant,
            reference="REF-1",
            filed_at=self.now - timedelta(hours=1),
            expires_at=expires,
        )

    @rule()
    def outside_accepts(self) -> None:
        self._act(actions.case_record_acceptance, actor=self.complainant, accepted_at=self.now)

    @rule(hours=st.sampled_from([1, 6, 24, 49, 100, 400]))
    def time_passes_and_sweep(self, hours: int) -> None:
        """A deadline passes (or not): advance the clock, then one sweep."""
        FIGURES["steps"] += 1
        self.now += timedelta(hours=hours)
        self.sweep()

    @rule()
    def sweep(self) -> None:
        FIGURES["steps"] += 1
        self.case.refresh_from_db()
        stage = TierStage.objects.filter(case=self.case, closed_at__isnull=True).first()
        status = self.case.status
        before = self._events()
        escalated_before = self._escalations()
        result = sweep_overdue(now=self.now)
        self.case.refresh_from_db()
        moved = self._escalations() - escalated_before
        FIGURES["escalations"] += moved
        FIGURES["returned"] += result.returned
        if moved:
            # Only a running, overdue stage of an open case escalates.
            assert stage is not None and status in OPEN_STATUSES
            assert stage.paused_at is None and stage.accepted_at is None
            assert stage.next_due_at is not None and stage.next_due_at <= self.now
        changes = result.escalated + result.flagged + result.warned
        changes += result.returned + result.reminded
        assert self._events() >= before + changes

    @rule()
    def escalate(self) -> None:
        self._act(actions.case_escalate_by_staff, actor=self.supervisor, reason="人工升级")

    @rule()
    def resolve(self) -> None:
        self._act(actions.case_resolve, actor=self.complainant, outcome="refund_received")

    @rule()
    def withdraw(self) -> None:
        self._act(actions.case_withdraw, actor=self.complainant)

    @rule(who=st.sampled_from(["complainant", "triager"]))
    def amend(self, who: str) -> None:
        FIGURES["amended"] += 1
        self._act(
            actions.case_amend,
            actor=getattr(self, who),
            field="description",
            value=f"更正后的经过 {FIGURES['amended']}",
            reason="写错了",
        )

    @rule()
    def reopen(self) -> None:
        self._act(actions.case_reopen, actor=self.complainant, reason="退款没有到账")

    @rule(days=st.sampled_from([1, 29, 31]))
    def reopen_window_passes(self, days: int) -> None:
        """Days pass; the hourly close task runs (a resolved case closes after the window)."""
        FIGURES["steps"] += 1
        self.now += timedelta(days=days)
        before = self._events()
        closed = actions.cases_close_due(now=self.now)
        self.case.refresh_from_db()
        assert self._events() == before + closed

    def _escalations(self) -> int:
        return CaseEvent.objects.filter(case_id=self.case.pk, kind=EventKind.ESCALATED).count()

    # --- the invariants ----------------------------------------------------------------

    @invariant()
    def tier_never_goes_down(self) -> None:
        rank = tier_rank(self.case.tier)
        assert rank >= self.max_rank
        self.max_rank = rank

    @invariant()
    def at_most_one_open_stage(self) -> None:
        open_stages = TierStage.objects.filter(case=self.case, closed_at__isnull=True).count()
        assert open_stages <= 1
        if self.case.status not in OPEN_STATUSES:
            assert open_stages == 0

    @invariant()
    def the_chain_verifies(self) -> None:
        assert chain_verify(self.case) == []

    @invariant()
    def each_tier_escalates_once(self) -> None:
        tiers = [
            e.payload["from_tier"]
            for e in CaseEvent.objects.filter(case_id=self.case.pk, kind=EventKind.ESCALATED)
        ]
        assert len(tiers) == len(set(tiers))


@pytest.mark.django_db
def test_the_ladder_invariants_hold_over_any_story(  # type: ignore[no-untyped-def]
    complainant, triager, supervisor, capsys
) -> None:
    CaseLife.complainant, CaseLife.triager, CaseLife.supervisor = (
        complainant,
        triager,
        supervisor,
    )
    run_state_machine_as_test(
        CaseLife,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    with capsys.disabled():
        print(
            "\nHypothesis clock machine: {examples} examples, {steps} steps "
            "({refused} refused, {escalations} escalations, {returned} promises missed)".format(
                **FIGURES
            )
        )
    assert FIGURES["examples"] >= 10
