"""The beat task fans the sweep out in batch tasks; staff escalate through the same engine."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from casework import actions, sweep, tasks
from complaints.choices import EventKind
from complaints.tiers import Tier
from escalation.models import StageCloseReason, TierStage
from notifications.models import OutboxEmail
from tests.factories import OrderFactory, UserFactory, case_filed

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)
DUE = T0 + timedelta(hours=24)


def _file_overdue(count: int) -> list[int]:
    ids = []
    for _ in range(count):
        user = UserFactory()
        ids.append(case_filed(complainant=user, now=T0, order=OrderFactory(owner=user)).pk)
    return ids


def test_the_beat_task_counts_and_enqueues_one_batch_task_per_batch(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = _file_overdue(5)
    claimed: list[list[int]] = []
    real_batch = sweep.sweep_batch

    def recording_batch(**kwargs):  # type: ignore[no-untyped-def]
        result = real_batch(**kwargs)
        claimed.append(result.case_ids)
        return result

    monkeypatch.setattr(sweep, "sweep_batch", recording_batch)
    out = tasks.sweep_overdue.apply(kwargs={"now": DUE.isoformat(), "batch_size": 2}).get()
    assert out["due"] == 5 and out["batches_enqueued"] == 3
    assert out["escalated_here"] == 0  # every case went through a batch task
    assert [len(batch) for batch in claimed] == [2, 2, 1]
    assert sorted(pk for batch in claimed for pk in batch) == sorted(ids)  # distinct cases
    assert TierStage.objects.filter(tier=Tier.WATCHDOG, closed_at__isnull=True).count() == 5
    assert OutboxEmail.objects.filter(dedupe_key__startswith="escalated:").count() == 5
    escalation_mail = OutboxEmail.objects.filter(dedupe_key__startswith="escalated:")
    assert not escalation_mail.filter(sent_at__isnull=True).exists()  # each batch sent its own


def test_nothing_due_enqueues_nothing(db) -> None:  # type: ignore[no-untyped-def]
    _file_overdue(1)
    out = tasks.sweep_overdue.apply(kwargs={"now": T0.isoformat()}).get()
    assert out["due"] == 0 and out["batches_enqueued"] == 0


def test_a_batch_task_that_finds_nothing_returns(db) -> None:  # type: ignore[no-untyped-def]
    out = tasks.sweep_batch_task.apply(kwargs={"now": DUE.isoformat()}).get()
    assert out == {"claimed": 0, "escalated": 0, "flagged": 0, "sent": 0}


def test_broker_down_the_beat_task_sweeps_in_process(db, caplog) -> None:  # type: ignore[no-untyped-def]
    from config.celery import app

    ids = _file_overdue(3)

    def use_broker(url: str | None) -> None:
        app.conf.broker_write_url = url
        app.conf.task_always_eager = url is None
        app._pool = None
        app.amqp._producer_pool = None

    use_broker("redis://127.0.0.1:1/0")  # a real connection attempt: nothing listens there
    try:
        out = tasks.sweep_overdue.apply(kwargs={"now": DUE.isoformat(), "batch_size": 2}).get()
    finally:
        use_broker(None)
    assert "could not reach the broker" in caplog.text
    assert out["batches_enqueued"] == 0 and out["escalated_here"] == len(ids)


def test_staff_escalation_records_the_reason(complainant, supervisor) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    actions.case_escalate_by_staff(
        case=case, actor=supervisor, reason="  平台已停止回复  ", now=T0 + timedelta(hours=1)
    )
    event = case.events.get(kind=EventKind.ESCALATED)
    assert event.payload == {
        "from_tier": Tier.PLATFORM,
        "to_tier": Tier.WATCHDOG,
        "reason": StageCloseReason.ESCALATED_BY_STAFF,
        "note": "平台已停止回复",
    }
    assert event.actor == supervisor and event.compute_hash() == event.hash
    assert OutboxEmail.objects.filter(dedupe_key=f"escalated:{case.pk}:{Tier.WATCHDOG}").exists()


def test_the_sweep_records_an_empty_note(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    assert sweep.sweep_overdue(now=DUE).escalated == 1
    event = case.events.get(kind=EventKind.ESCALATED)
    assert event.payload["reason"] == StageCloseReason.EXPIRED and event.payload["note"] == ""
    assert event.actor is None


@pytest.mark.parametrize("reason", ["", "依规定提前升级"])
def test_staff_escalation_through_the_api_keeps_the_reason(supervisor, complainant, reason) -> None:  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    case = case_filed(complainant=complainant, now=T0)
    client = APIClient()
    client.force_authenticate(supervisor)
    data = {"reason": reason} if reason else {}
    response = client.post(f"/api/v1/cases/{case.pk}/escalate/", data, format="json")
    assert response.status_code == 200, response.content
    assert case.events.get(kind=EventKind.ESCALATED).payload["note"] == reason
