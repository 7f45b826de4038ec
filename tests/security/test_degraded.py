"""With Redis (cache or broker) gone the portal degrades instead of failing.

"Down" is a closed port on this machine (nothing listens on 6390): the shared Redis is
never touched.
"""

import logging
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from celery import current_app
from django.core import mail
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from casework import tasks
from config import cache as degrading
from notifications.models import OutboxEmail
from notifications.outbox import outbox_email
from tests.factories import UserFactory, case_filed

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:6390/0"
REDIS_DOWN = {
    "default": {
        "BACKEND": "config.cache.DegradingRedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture(autouse=True)
def _reset_breaker() -> None:
    degrading.DegradingRedisCache._down_until = 0.0


@override_settings(CACHES=REDIS_DOWN)
def test_the_api_answers_with_redis_down_and_says_why_in_the_log(complainant, caplog) -> None:  # type: ignore[no-untyped-def]
    case_filed(complainant=complainant)
    client = APIClient()
    client.force_authenticate(complainant)
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        for _ in range(3):
            assert client.get("/api/v1/cases/").status_code == 200
        anonymous = APIClient().post(
            "/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json"
        )
    assert anonymous.status_code == 400  # a wrong password, not a 500
    assert "cache unreachable" in caplog.text


@override_settings(CACHES=REDIS_DOWN)
def test_portal_sign_in_works_and_the_database_lockout_still_holds() -> None:
    user = UserFactory(username="erin", email="erin@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    url = reverse("account_login")
    assert Client().get(url).status_code == 200
    signed_in = Client()
    response = signed_in.post(url, {"login": "erin@example.com", "password": "pass-for-tests-1"})
    assert response.status_code == 302
    guesser = Client()
    for _ in range(5):
        guesser.post(url, {"login": "erin@example.com", "password": "wrong"})
    response = guesser.post(url, {"login": "erin@example.com", "password": "pass-for-tests-1"})
    assert response.status_code == 429


def test_healthz_names_each_dependency_and_is_200_when_all_answer(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@override_settings(CACHES=REDIS_DOWN)
def test_healthz_reports_the_cache_down_but_keeps_serving(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"] == "down"


def test_healthz_reports_the_broker_down(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_REDIS)
    monkeypatch.setattr(current_app.conf, "broker_url", DEAD_REDIS)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "down"


def test_healthz_is_503_when_the_database_is_down(client) -> None:  # type: ignore[no-untyped-def]
    with mock.patch("config.health.connection") as connection:
        connection.cursor.side_effect = OSError("connection refused")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"
    assert response.json()["status"] == "down"


@pytest.fixture
def real_broker_kicks():  # type: ignore[no-untyped-def]
    """Kicks go through the broker (the suite runs Celery eagerly otherwise)."""
    current_app.conf.task_always_eager = False
    yield
    current_app.conf.task_always_eager = True


def _queue(key: str) -> OutboxEmail:
    return outbox_email(to="alice@example.com", subject="s", body="b", dedupe_key=key)


def test_a_failed_kick_is_retried_before_it_is_left_to_the_sweep(  # type: ignore[no-untyped-def]
    settings, django_capture_on_commit_callbacks, real_broker_kicks
) -> None:
    settings.ESCALATION_OUTBOX_KICK_PAUSE_SECONDS = 0
    real = current_app.connection_for_write
    calls = []

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("broker restarting")
        return real(*args, **kwargs)

    with (
        mock.patch.object(current_app, "connection_for_write", side_effect=flaky),
        mock.patch.object(current_app, "send_task") as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _queue("kick-retried")
    assert len(calls) == 3
    published.assert_called_once()


def test_with_the_broker_gone_the_mail_waits_for_the_sweep_which_sends_it_all(  # type: ignore[no-untyped-def]
    settings, django_capture_on_commit_callbacks, caplog, real_broker_kicks
) -> None:
    settings.ESCALATION_OUTBOX_KICK_PAUSE_SECONDS = 0
    with (
        mock.patch.object(current_app, "connection_for_write", side_effect=ConnectionError()),
        caplog.at_level(logging.WARNING, logger="notifications.delivery"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for n in range(3):
            _queue(f"waiting-{n}")
    assert "after 3 attempts" in caplog.text
    assert OutboxEmail.objects.filter(sent_at__isnull=True).count() == 3
    mail.outbox.clear()
    current_app.conf.task_always_eager = True  # the beat's worker, in-process
    assert tasks.sweep_overdue.apply().get()["sent"] == 3
    assert OutboxEmail.objects.filter(sent_at__isnull=True).count() == 0
    assert len(mail.outbox) == 3


DATABASE_DOWN = OperationalError("could not connect to server: Connection refused")


def test_the_api_answers_503_with_retry_after_while_the_database_is_unreachable(  # type: ignore[no-untyped-def]
    complainant, caplog
) -> None:
    client = APIClient()
    client.force_authenticate(complainant)
    with (
        mock.patch("api.selectors.case_list_for_api", side_effect=DATABASE_DOWN),
        caplog.at_level(logging.WARNING, logger="config.availability"),
    ):
        response = client.get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert "try again in a few seconds" in response.json()["error"]["message"]
    assert "database unavailable" in caplog.text


def test_a_portal_page_answers_503_with_a_short_page_while_the_database_is_unreachable(  # type: ignore[no-untyped-def]
    complainant,
) -> None:
    client = Client()
    client.force_login(complainant)
    with mock.patch("portal.views.cases.case_rows", side_effect=DATABASE_DOWN):
        response = client.get(reverse("portal:case_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "暂时无法使用" in response.content.decode()
