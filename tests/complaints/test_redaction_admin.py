"""Staff see card keys and personal numbers masked; a reveal needs a permission and is
recorded in the timeline."""

from django.test import Client
from django.urls import reverse

from complaints.choices import EventKind
from tests.factories import case_filed

SECRET = "卡密：ＡＢＣＤ－１２３４－ＥＦＧＨ－５６７８，身份证 11010119900307851X"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_triager_sees_the_case_masked_and_cannot_reveal(triager, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, description=SECRET, demand_text=SECRET)
    client = _client(triager)
    page = client.get(
        reverse("admin:complaints_complaintcase_change", args=[case.pk])
    ).content.decode()
    assert "ＡＢＣＤ－１２３４" not in page and "11010119900307851X" not in page
    assert "****5678" in page and "****851X" in page
    reveal = reverse("admin:complaints_complaintcase_reveal", args=[case.pk])
    assert client.post(reveal).status_code == 403
    assert not case.events.filter(kind=EventKind.SECRETS_REVEALED).exists()


def test_a_reveal_shows_the_originals_and_is_a_timeline_event(supervisor, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, description=SECRET)
    client = _client(supervisor)
    reveal = reverse("admin:complaints_complaintcase_reveal", args=[case.pk])
    assert "ＡＢＣＤ－１２３４" not in client.get(reveal).content.decode()  # GET only asks
    assert not case.events.filter(kind=EventKind.SECRETS_REVEALED).exists()
    page = client.post(reveal).content.decode()
    assert "ＡＢＣＤ－１２３４－ＥＦＧＨ－５６７８" in page
    event = case.events.get(kind=EventKind.SECRETS_REVEALED)
    assert event.actor == supervisor and event.payload["by"] == supervisor.username
