"""Outgoing webhooks: who gets which events, signatures, retries with backoff, the log."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import override_settings
from django.utils import timezone

from casework.actions import case_message
from notifications import webhooks
from notifications.models import DeliveryStatus, WebhookDelivery
from tests.api.conftest import client_for
from tests.factories import OrderFactory, PlatformFactory, StaffFactory, UserFactory, case_filed

pytestmark = pytest.mark.django_db


class Receiver:
    """A fake HTTPS receiver that answers with the statuses it is given, in turn."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[dict] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        self.calls.append({"url": url, "body": body, "headers": headers})
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def platform():  # type: ignore[no-untyped-def]
    return PlatformFactory(name="星辰卡盟")


@pytest.fixture
def endpoint(platform, supervisor):  # type: ignore[no-untyped-def]
    return webhooks.webhook_endpoint_create(
        actor=supervisor, url="https://hooks.example.cn/kamen", platform=platform
    )


def test_signature_covers_timestamp_and_body() -> None:
    now = timezone.now()
    t = int(now.timestamp())
    body = b'{"id": 1}'
    header = webhooks.webhook_sign(secret="s3cret", timestamp=t, body=body)

    assert webhooks.webhook_verify(secret="s3cret", header=header, body=body, now=now)
    assert not webhooks.webhook_verify(secret="other", header=header, body=body, now=now)
    assert not webhooks.webhook_verify(secret="s3cret", header=header, body=b'{"id": 2}', now=now)
    forged = header.replace(f"t={t}", f"t={t + 1}")
    assert not webhooks.webhook_verify(secret="s3cret", header=forged, body=body, now=now)
    late = now + timedelta(minutes=6)
    assert not webhooks.webhook_verify(secret="s3cret", header=header, body=body, now=late)


def test_platform_endpoint_gets_its_cases_events_signed_and_only_once(
    endpoint, platform, complainant
) -> None:
    now = timezone.now()
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform), now=now
    )
    case_filed(complainant=complainant, now=now)  # another platform's case
    receiver = Receiver(200)

    sent = webhooks.webhooks_send_due(now=now, transport=receiver)
    again = webhooks.webhooks_send_due(now=now + timedelta(minutes=5), transport=receiver)

    assert sent == 1
    assert again == 0
    call = receiver.calls[0]
    assert call["url"] == "https://hooks.example.cn/kamen"
    payload = json.loads(call["body"])
    assert payload["type"] == "case.filed"
    assert payload["case"]["reference"] == case.reference
    assert payload["event"]["hash"] == case.events.get().hash
    assert webhooks.webhook_verify(
        secret=endpoint.secret,
        header=call["headers"]["X-Kamen-Signature"],
        body=call["body"],
        now=now,
    )
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_consumer_group_endpoint_gets_its_members_cases(supervisor) -> None:  # type: ignore[no-untyped-def]
    group = Group.objects.create(name="消费者联盟")
    member, stranger = UserFactory(), UserFactory()
    member.groups.add(group)
    webhooks.webhook_endpoint_create(
        actor=supervisor, url="https://group.example.cn/hook", consumer_group=group
    )
    now = timezone.now()
    mine = case_filed(complainant=member, now=now)
    case_filed(complainant=stranger, now=now)
    receiver = Receiver()

    webhooks.webhooks_send_due(now=now, transport=receiver)

    assert [json.loads(c["body"])["case"]["id"] for c in receiver.calls] == [mine.pk]


@override_settings(WEBHOOK_MAX_ATTEMPTS=4, WEBHOOK_RETRY_BASE_SECONDS=60)
def test_failures_retry_with_doubling_backoff_then_give_up(endpoint, platform, complainant) -> None:  # type: ignore[no-untyped-def]
    start = timezone.now()
    case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform), now=start
    )
    receiver = Receiver(500, ConnectionError("refused"), 503, 502)

    webhooks.webhooks_send_due(now=start, transport=receiver)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at == start + timedelta(seconds=60)

    # just before the retry is due nothing is sent; at the due time it is
    assert webhooks.webhooks_send_due(now=start + timedelta(seconds=59), transport=receiver) == 0
    webhooks.webhooks_send_due(now=start + timedelta(seconds=60), transport=receiver)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert "ConnectionError" in delivery.last_error
    assert delivery.next_attempt_at == start + timedelta(seconds=60 + 120)

    webhooks.webhooks_send_due(now=start + timedelta(seconds=180), transport=receiver)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(seconds=180 + 240)
    webhooks.webhooks_send_due(now=start + timedelta(seconds=420), transport=receiver)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 4
    assert len(receiver.calls) == 4

    # staff fix the receiver and send it again from the admin log
    assert webhooks.webhook_deliveries_retry(deliveries=WebhookDelivery.objects.all()) == 1
    webhooks.webhooks_send_due(now=timezone.now(), transport=Receiver(204))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_a_retry_after_recovery_delivers(endpoint, platform, complainant) -> None:  # type: ignore[no-untyped-def]
    start = timezone.now()
    case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform), now=start
    )
    receiver = Receiver(500, 200)

    webhooks.webhooks_send_due(now=start, transport=receiver)
    webhooks.webhooks_send_due(now=start + timedelta(minutes=1), transport=receiver)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    # each attempt is signed afresh with its own timestamp
    assert (
        receiver.calls[0]["headers"]["X-Kamen-Signature"]
        != receiver.calls[1]["headers"]["X-Kamen-Signature"]
    )


def test_inactive_endpoints_get_nothing(endpoint, platform, complainant) -> None:  # type: ignore[no-untyped-def]
    endpoint.is_active = False
    endpoint.save()
    case_filed(complainant=complainant, order=OrderFactory(owner=complainant, platform=platform))

    webhooks.webhooks_send_due(transport=Receiver())

    assert not WebhookDelivery.objects.exists()


def test_registration_over_the_api_needs_https_and_the_permission(
    sam_api, alice_api, platform
) -> None:
    plain = sam_api.post(
        "/api/v1/webhooks/",
        {"url": "http://insecure.example.cn/", "platform_id": platform.pk},
        format="json",
    )
    both = sam_api.post(
        "/api/v1/webhooks/",
        {
            "url": "https://a.example.cn/",
            "platform_id": platform.pk,
            "consumer_group_id": Group.objects.create(name="g").pk,
        },
        format="json",
    )
    created = sam_api.post(
        "/api/v1/webhooks/",
        {"url": "https://a.example.cn/hook", "platform_id": platform.pk},
        format="json",
    )
    refused = alice_api.post(
        "/api/v1/webhooks/",
        {"url": "https://a.example.cn/hook", "platform_id": platform.pk},
        format="json",
    )

    assert plain.status_code == 400
    assert "url" in plain.json()["error"]["fields"]
    assert both.status_code == 400
    assert created.status_code == 201, created.json()
    assert len(created.json()["secret"]) >= 32
    assert refused.status_code == 403
    listed = sam_api.get("/api/v1/webhooks/").json()["results"]
    assert [e["url"] for e in listed] == ["https://a.example.cn/hook"]
    assert "secret" not in listed[0]


def test_delivery_log_in_admin(endpoint, platform, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform)
    )
    webhooks.webhooks_send_due(transport=Receiver(500))
    staff = StaffFactory(username="ops")
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="webhookdelivery"))
    client = client_for(None)
    client.force_login(staff)

    page = client.get("/admin/notifications/webhookdelivery/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "https://hooks.example.cn/kamen" in html
    assert 'field-last_status_code">500<' in html
    assert f"{case.pk}#1 filed" in html


def test_an_endpoint_registered_later_gets_no_history(platform, supervisor, complainant) -> None:  # type: ignore[no-untyped-def]
    filed_at = timezone.now() - timedelta(hours=1)
    case_filed(
        complainant=complainant,
        order=OrderFactory(owner=complainant, platform=platform),
        now=filed_at,
    )
    webhooks.webhook_endpoint_create(
        actor=supervisor, url="https://late.example.cn/", platform=platform
    )

    webhooks.webhooks_send_due(transport=Receiver())

    assert not WebhookDelivery.objects.exists()


def test_the_beat_runs_the_webhook_and_purge_tasks() -> None:
    from django_celery_beat.models import PeriodicTask

    from config.celery import app

    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"notifications.webhooks_send_due", "api.idempotency_keys_purge"} <= scheduled
    assert {"notifications.webhooks_send_due", "api.idempotency_keys_purge"} <= set(app.tasks)


def test_a_delivery_in_flight_is_not_sent_again_by_a_second_sweep(
    endpoint, platform, complainant
) -> None:
    now = timezone.now()
    case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform), now=now
    )
    inner_sent: list[int] = []

    def slow_receiver(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        # while this receiver thinks, another worker sweeps
        inner_sent.append(webhooks.webhooks_send_due(now=now, transport=Receiver()))
        return 200

    webhooks.webhooks_send_due(now=now, transport=slow_receiver)

    assert inner_sent == [0]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1


def test_platform_bodies_mask_card_keys_and_phone_numbers_the_complainants_group_sees_all(
    endpoint, platform, complainant, supervisor
) -> None:
    group = Group.objects.create(name="维权群")
    complainant.groups.add(group)
    webhooks.webhook_endpoint_create(
        actor=supervisor, url="https://group.example.cn/hook", consumer_group=group
    )
    now = timezone.now()
    order = OrderFactory(owner=complainant, platform=platform, order_number="2024052100112345678")
    case = case_filed(complainant=complainant, order=order, now=now)
    text = "订单 2024052100112345678 的卡密：ABCD-1234-EFGH-5678 无效，请回电 13812345678"
    case_message(case=case, actor=complainant, text=text, now=now)
    receiver = Receiver()

    webhooks.webhooks_send_due(now=now, transport=receiver)

    def message_for(url: str) -> str:
        bodies = [json.loads(c["body"]) for c in receiver.calls if c["url"] == url]
        return next(b["event"]["payload"]["text"] for b in bodies if b["type"] == "case.message")

    to_platform = message_for("https://hooks.example.cn/kamen")
    assert "ABCD-1234-EFGH-5678" not in to_platform
    assert "13812345678" not in to_platform
    assert "2024052100112345678" in to_platform  # the order number names the dispute
    assert "138****5678" in to_platform
    assert message_for("https://group.example.cn/hook") == text
    raw = b"".join(
        c["body"] for c in receiver.calls if c["url"] == "https://hooks.example.cn/kamen"
    )
    assert b"ABCD-1234-EFGH-5678" not in raw
    assert b"13812345678" not in raw
