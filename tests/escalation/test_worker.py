"""A real Celery worker, on Redis, running the beat task against the test database."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from complaints.choices import EventKind, Urgency
from complaints.tiers import Tier
from notifications.models import OutboxEmail
from tests.conftest import need
from tests.factories import case_filed

ROOT = Path(__file__).resolve().parents[2]


def _redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_escalates_an_overdue_case(postgres: None, complainant) -> None:  # type: ignore[no-untyped-def]
    broker = settings.CELERY_BROKER_URL
    need(
        broker.startswith("redis://") and _redis_up(broker),
        "needs Redis (set CELERY_BROKER_URL=redis://...)",
    )
    from config.celery import app

    # Urgent: the 2-hour first-response clock ran out an hour ago.
    case = case_filed(
        complainant=complainant, now=timezone.now() - timedelta(hours=3), urgency=Urgency.URGENT
    )
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = f"kamen-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo"]
    command += ["-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
        [*command, "-l", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app.send_task("casework.sweep_overdue", queue=queue)
        give_up = time.monotonic() + 120
        escalated = sent = False
        while time.monotonic() < give_up and not (escalated and sent):
            case.refresh_from_db()
            escalated = case.tier == Tier.WATCHDOG
            sent = OutboxEmail.objects.filter(case=case, sent_at__isnull=False).exists()
            if worker.poll() is not None:
                break
            time.sleep(0.5)  # waiting on another process, not on the clock under test
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=60)
    assert escalated, output
    assert sent, output
    assert case.events.filter(kind=EventKind.ESCALATED).count() == 1
