"""Collective cases in the admin and on a member's portal page: the merge action, the
suggested groups, confirming (supervisors only, a triager gets the translated 403), the
page in words, the combined package, and what a member complainant sees."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework import actions
from casework.collective import collective_confirm, collective_propose
from complaints.choices import CollectiveEventKind, EventKind, ProblemType
from complaints.models import CaseEvent, CollectiveCase
from evidence.services import bundle_create
from portal.models import FilingDraft
from tests.factories import OrderFactory, PlatformFactory, UserFactory, case_filed

CASES = "admin:complaints_complaintcase_changelist"
SUGGESTIONS = "admin:complaints_collectivecase_suggestions"


@pytest.fixture(autouse=True)
def no_dispatch_routing(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(actions.filing, "triager_least_loaded", lambda kind: None)


@pytest.fixture
def platform(db):  # type: ignore[no-untyped-def]
    return PlatformFactory(name="速发卡盟")


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def wave(platform, n=3, problem=ProblemType.INVALID_CARD_KEY):  # type: ignore[no-untyped-def]
    """``n`` cases against ``platform``, one complainant each, filed an hour apart."""
    start = timezone.now() - timedelta(days=1)
    cases = []
    for i in range(n):
        person = UserFactory(username=f"person{platform.pk}-{problem}-{i}")
        order = OrderFactory(owner=person, platform=platform)
        cases.append(
            case_filed(
                complainant=person,
                order=order,
                problem_type=problem,
                now=start + timedelta(hours=i),
            )
        )
    return cases


def confirm_url(collective) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:complaints_collectivecase_confirm", args=[collective.pk])


def page(client, collective) -> str:  # type: ignore[no-untyped-def]
    url = reverse("admin:complaints_collectivecase_change", args=[collective.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_merge_into_a_collective_case_from_the_case_list(tom, platform) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    client = logged_in(tom)
    form = client.post(
        reverse(CASES),
        {"action": "merge_into_collective", ACTION_CHECKBOX_NAME: [c.pk for c in cases]},
    )
    assert form.status_code == 200 and b'name="apply"' in form.content
    assert CollectiveCase.objects.count() == 0  # the form first, nothing done yet
    response = client.post(
        reverse(CASES),
        {
            "action": "merge_into_collective",
            ACTION_CHECKBOX_NAME: [c.pk for c in cases],
            "apply": "1",
            "title": "十一月卡密无效",
        },
        follow=True,
    )
    collective = CollectiveCase.objects.get()
    assert response.redirect_chain[-1][0].endswith(f"/{collective.pk}/change/")
    assert collective.title == "十一月卡密无效" and collective.created_by == tom
    assert set(collective.members.all()) == set(cases)
    event = collective.events.get()
    assert event.kind == CollectiveEventKind.PROPOSED and event.actor == tom
    body = response.content.decode()
    assert all(c.reference in body for c in cases)
    assert confirm_url(collective) not in body  # a triager has no confirm button


def test_merge_refuses_mixed_platforms_with_a_message(tom, platform) -> None:  # type: ignore[no-untyped-def]
    cases = [*wave(platform, 2), *wave(PlatformFactory(name="闪电卡盟"), 1)]
    response = logged_in(tom).post(
        reverse(CASES),
        {
            "action": "merge_into_collective",
            ACTION_CHECKBOX_NAME: [c.pk for c in cases],
            "apply": "1",
        },
        follow=True,
    )
    assert CollectiveCase.objects.count() == 0
    assert "这些案件必须针对同一平台、同一问题。" in response.content.decode()


def test_suggested_groups_propose_with_one_click_and_drafts_never_appear(tom, platform) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    drafter = UserFactory(username="drafter")
    FilingDraft.objects.create(
        owner=drafter, bundle=bundle_create(owner=drafter, now=timezone.now())
    )
    client = logged_in(tom)
    listed = client.get(reverse(SUGGESTIONS))
    assert listed.status_code == 200
    body = listed.content.decode()
    assert body.count("data-suggestion") == 1
    assert all(c.reference in body for c in cases) and "速发卡盟" in body
    assert "drafter" not in body
    response = client.post(
        reverse(SUGGESTIONS), {"case": [c.pk for c in cases], "title": ""}, follow=True
    )
    collective = CollectiveCase.objects.get()
    assert set(collective.members.all()) == set(cases)
    assert response.redirect_chain[-1][0].endswith(f"/{collective.pk}/change/")
    assert client.get(reverse(SUGGESTIONS)).content.decode().count("data-suggestion") == 0


def test_a_triager_confirming_gets_the_admins_translated_403(tom, platform) -> None:  # type: ignore[no-untyped-def]
    collective = collective_propose(cases=wave(platform), actor=tom)
    response = logged_in(tom).post(confirm_url(collective))
    assert response.status_code == 403
    assert "data-forbidden" in response.content.decode()
    assert (
        "您的角色无权访问此页面" in response.content.decode() or "角色" in response.content.decode()
    )
    collective.refresh_from_db()
    assert not collective.is_confirmed
    assert not CaseEvent.objects.filter(kind=EventKind.COLLECTIVE_JOINED).exists()


def test_a_supervisor_confirms_from_the_page(tom, suzy, platform) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    collective = collective_propose(cases=cases, actor=tom)
    client = logged_in(suzy)
    assert confirm_url(collective) in page(client, collective)
    response = client.post(confirm_url(collective), follow=True)
    assert response.status_code == 200
    collective.refresh_from_db()
    assert collective.confirmed_by == suzy
    for case in cases:
        assert case.events.get(kind=EventKind.COLLECTIVE_JOINED).actor == suzy
    body = page(client, collective)
    # The timeline in words, with who acted; every member linked to its own page.
    assert "已提议合并" in body and "主管已确认合并" in body
    assert "(tom)" in body and "(suzy)" in body
    for case in cases:
        assert reverse("admin:complaints_complaintcase_change", args=[case.pk]) in body
    assert confirm_url(collective) not in body  # confirmed once


def test_the_case_page_shows_its_collective_read_only(tom, platform) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    collective = collective_propose(cases=cases, actor=tom)
    url = reverse("admin:complaints_complaintcase_change", args=[cases[0].pk])
    body = logged_in(tom).get(url).content.decode()
    assert collective.reference in body
    assert 'name="collective"' not in body


def test_the_combined_package_downloads_for_a_regulator_not_a_court_without_reveal(
    tom, platform
) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    collective = collective_propose(cases=cases, actor=tom)
    client = logged_in(tom)
    url = reverse("admin:complaints_collectivecase_package", args=[collective.pk])
    response = client.post(url, {"for": "regulator"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert [p["case"] for p in manifest["cases"]] == [c.reference for c in cases]
    assert client.post(url, {"for": "court"}).status_code == 403
    assert not CaseEvent.objects.filter(kind=EventKind.SECRETS_REVEALED).exists()


def test_a_court_copy_records_a_reveal_on_every_member(tom, suzy, platform) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    collective = collective_propose(cases=cases, actor=tom)
    response = logged_in(suzy).post(
        reverse("admin:complaints_collectivecase_package", args=[collective.pk]), {"for": "court"}
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)
    for case in cases:
        assert case.events.get(kind=EventKind.SECRETS_REVEALED).actor == suzy


def test_a_member_sees_the_collective_but_nothing_of_the_other_complainants(
    tom, suzy, platform
) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    mine, others = cases[0], cases[1:]
    collective = collective_propose(cases=cases, actor=tom)
    client = logged_in(mine.complainant)
    detail = reverse("portal:case_detail", kwargs={"reference": mine.reference})
    assert collective.reference not in client.get(detail).content.decode()  # only proposed
    collective_confirm(collective=collective, actor=suzy)
    body = client.get(detail).content.decode()
    assert f'data-collective="{collective.reference}"' in body
    assert "共 3 个针对同一平台、同一问题的投诉" in body
    for other in others:
        for secret in (
            other.reference,
            other.complainant.username,
            other.complainant.email,
            other.order.order_number,
        ):
            assert secret not in body


def test_a_supervisor_removes_a_member_and_closes_from_the_page(tom, suzy, platform) -> None:  # type: ignore[no-untyped-def]
    cases = wave(platform)
    collective = collective_propose(cases=cases, actor=tom)
    collective_confirm(collective=collective, actor=suzy)
    client = logged_in(suzy)
    remove = reverse("admin:complaints_collectivecase_remove", args=[collective.pk])
    assert (
        logged_in(tom)
        .post(remove, {"remove-case": cases[0].pk, "remove-reason": "重复"})
        .status_code
        == 403
    )
    client.post(remove, {"remove-case": cases[0].pk, "remove-reason": "重复投诉"})
    assert set(collective.members.all()) == set(cases[1:])
    assert cases[0].events.get(kind=EventKind.COLLECTIVE_LEFT).actor == suzy
    close = reverse("admin:complaints_collectivecase_close", args=[collective.pk])
    client.post(close, {"close-reason": ""})
    collective.refresh_from_db()
    assert collective.status == "open"  # a reason is required
    client.post(close, {"close-reason": "平台已统一退款"})
    collective.refresh_from_db()
    assert collective.status == "closed" and collective.closed_at is not None
    body = page(client, collective)
    assert "平台已统一退款" in body and "集体投诉已结束" in body
    assert reverse("admin:complaints_collectivecase_close", args=[collective.pk]) not in body


def test_the_lists_are_translated_and_a_triager_may_read_them(tom, platform) -> None:  # type: ignore[no-untyped-def]
    collective = collective_propose(cases=wave(platform), actor=tom)
    client = logged_in(tom)
    body = client.get(reverse("admin:complaints_collectivecase_changelist")).content.decode()
    assert collective.reference in body and "建议合并的案件组" in body
    events = client.get(reverse("admin:complaints_collectiveevent_changelist"))
    assert events.status_code == 200 and "已提议合并" in events.content.decode()
