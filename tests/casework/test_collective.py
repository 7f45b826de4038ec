"""Collective cases: which cases are suggested for grouping, who proposes and who confirms,
both timelines, the collective's hash chain, and the combined evidence package."""

import hashlib
import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from casework import actions
from casework.collective import (
    collective_add,
    collective_close,
    collective_confirm,
    collective_propose,
    collective_remove,
    collective_suggestions,
)
from casework.packages import case_package, collective_package
from complaints.choices import CollectiveEventKind, CollectiveStatus, EventKind, ProblemType
from complaints.errors import Forbidden, ImmutableRecord, InvalidInput, InvalidTransition
from complaints.models import CaseEvent, CollectiveCase, CollectiveEvent
from complaints.timeline import chain_verify
from escalation.models import TierStage
from evidence.services import bundle_create, evidence_add
from notifications.models import OutboxEmail, WebhookDelivery
from notifications.webhooks import webhook_endpoint_create
from portal.models import FilingDraft
from tests.evidence import samples
from tests.evidence.conftest import upload
from tests.factories import OrderFactory, PlatformFactory, UserFactory, case_filed

WINDOW = timedelta(days=7)
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


@pytest.fixture(autouse=True)
def no_dispatch_routing(monkeypatch):  # type: ignore[no-untyped-def]
    """Filing routes to nobody here: ownership is not what grouping is about."""
    monkeypatch.setattr(actions.filing, "triager_least_loaded", lambda kind: None)


@pytest.fixture
def platform(db):  # type: ignore[no-untyped-def]
    return PlatformFactory(name="速发卡盟")


def filed(platform, at=None, problem=ProblemType.INVALID_CARD_KEY, **kwargs):  # type: ignore[no-untyped-def]
    """A case against ``platform`` by a complainant of its own, filed at ``at``."""
    complainant = kwargs.pop("complainant", None) or UserFactory()
    order = OrderFactory(owner=complainant, platform=platform)
    if at is None:
        return case_filed(complainant=complainant, order=order, problem_type=problem, **kwargs)
    with time_machine.travel(at, tick=False):
        return case_filed(complainant=complainant, order=order, problem_type=problem, **kwargs)


def grouped(**kwargs) -> list[set[int]]:  # type: ignore[no-untyped-def]
    return [set(s.case_ids) for s in collective_suggestions(window=WINDOW, min_cases=3, **kwargs)]


# --- suggestions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_after", "suggested"),
    [
        (WINDOW - timedelta(seconds=1), True),  # just inside
        (WINDOW, True),  # at the window: "within seven days" includes the seventh
        (WINDOW + timedelta(microseconds=1), False),  # just outside
    ],
    ids=["just-inside", "at", "just-outside"],
)
def test_the_window_is_from_the_first_case_to_the_last_inclusive(
    platform, last_after, suggested
) -> None:  # type: ignore[no-untyped-def]
    cases = [filed(platform, T0 + after) for after in (timedelta(0), timedelta(days=3), last_after)]
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        found = grouped()
    assert found == ([{c.pk for c in cases}] if suggested else [])


def test_another_platform_or_another_problem_is_another_group(platform) -> None:  # type: ignore[no-untyped-def]
    other = PlatformFactory(name="闪电卡盟")
    same = [filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    filed(other, T0 + timedelta(hours=3))
    filed(other, T0 + timedelta(hours=4))
    filed(platform, T0 + timedelta(hours=5), problem=ProblemType.NOT_DELIVERED)
    filed(platform, T0 + timedelta(hours=6), problem=ProblemType.NOT_DELIVERED)
    assert grouped() == [{c.pk for c in same}]
    [suggestion] = collective_suggestions(window=WINDOW, min_cases=3)
    assert suggestion.platform_name == "速发卡盟"
    assert suggestion.problem_type == ProblemType.INVALID_CARD_KEY
    assert suggestion.references == tuple(c.reference for c in same)


def test_drafts_ended_and_already_grouped_cases_are_never_suggested(platform, tom) -> None:  # type: ignore[no-untyped-def]
    drafter = UserFactory()
    FilingDraft.objects.create(owner=drafter, bundle=bundle_create(owner=drafter, now=T0))
    ended = filed(platform, T0)
    actions.case_withdraw(case=ended, actor=ended.complainant)
    held = [filed(platform, T0 + timedelta(hours=h)) for h in (1, 2)]
    collective_propose(cases=held, actor=tom)
    fresh = [filed(platform, T0 + timedelta(hours=h)) for h in (3, 4)]
    assert grouped() == []  # two open ungrouped cases: too few
    third = filed(platform, T0 + timedelta(hours=5))
    assert grouped() == [{*(c.pk for c in fresh), third.pk}]


def test_a_late_start_is_tried_when_the_earliest_case_has_too_few_neighbours(platform) -> None:  # type: ignore[no-untyped-def]
    filed(platform, T0)
    wave = [filed(platform, T0 + timedelta(days=d)) for d in (6, 8, 9)]
    assert grouped() == [{c.pk for c in wave}]


def test_two_waves_of_one_platform_are_two_suggestions_the_larger_first(platform) -> None:  # type: ignore[no-untyped-def]
    first = [filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    second = [filed(platform, T0 + timedelta(days=20, hours=h)) for h in (0, 1, 2, 3)]
    assert grouped() == [{c.pk for c in second}, {c.pk for c in first}]


@override_settings(COLLECTIVE_WINDOW=timedelta(days=1), COLLECTIVE_MIN_CASES=2)
def test_the_defaults_are_the_settings_read_at_each_call(platform) -> None:  # type: ignore[no-untyped-def]
    a, b = filed(platform, T0), filed(platform, T0 + timedelta(hours=20))
    filed(platform, T0 + timedelta(days=3))
    assert [set(s.case_ids) for s in collective_suggestions()] == [{a.pk, b.pk}]


def test_suggestions_cost_one_query_whatever_the_number_of_cases(platform) -> None:  # type: ignore[no-untyped-def]
    other = PlatformFactory(name="闪电卡盟")

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            found = collective_suggestions(window=WINDOW, min_cases=3)
        return len(captured), len(found)

    for p in (platform, other):
        for h in range(3):
            filed(p, T0 + timedelta(hours=h))
    few = queries()
    for p in (platform, other):
        for h in range(3, 9):
            filed(p, T0 + timedelta(hours=h))
    many = queries()
    assert few == (1, 2) and many == (1, 2)


def test_the_scan_is_bounded_to_the_newest_cases(platform) -> None:  # type: ignore[no-untyped-def]
    old = [filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    new = [filed(platform, T0 + timedelta(days=30, hours=h)) for h in (0, 1, 2)]
    assert grouped(limit=3) == [{c.pk for c in new}]
    assert {c.pk for c in old} in grouped(limit=6)


# --- proposing and confirming ----------------------------------------------------------------


def test_a_triager_proposes_and_only_the_collective_timeline_says_so(platform, tom, suzy) -> None:  # type: ignore[no-untyped-def]
    cases = [filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    # Owned by someone else: proposing does not wait for the owner (a supervisor decides).
    actions.case_assign(case=cases[0], assignee=suzy, actor=suzy)
    before = {c.pk: list(c.events.values_list("seq", flat=True)) for c in cases}
    collective = collective_propose(cases=cases, actor=tom, title="速发卡盟 卡密无效 11月")
    assert collective.reference.startswith("KM-G-2026-")
    assert (
        collective.platform == platform and collective.problem_type == ProblemType.INVALID_CARD_KEY
    )
    assert not collective.is_confirmed and collective.created_by == tom
    assert set(collective.members.values_list("pk", flat=True)) == {c.pk for c in cases}
    [event] = collective.events.all()
    assert (event.kind, event.actor, event.seq) == (CollectiveEventKind.PROPOSED, tom, 1)
    assert event.payload["members"] == [c.reference for c in cases]
    after = {c.pk: list(c.events.values_list("seq", flat=True)) for c in cases}
    assert after == before


@pytest.mark.parametrize("problem", ["platform", "problem", "ended", "grouped", "alone"])
def test_a_proposal_must_be_open_ungrouped_cases_of_one_kind(platform, tom, problem) -> None:  # type: ignore[no-untyped-def]
    cases = [filed(platform, T0), filed(platform, T0 + timedelta(hours=1))]
    if problem == "platform":
        cases.append(filed(PlatformFactory(name="闪电卡盟"), T0))
    elif problem == "problem":
        cases.append(filed(platform, T0, problem=ProblemType.NOT_DELIVERED))
    elif problem == "ended":
        ended = filed(platform, T0)
        actions.case_withdraw(case=ended, actor=ended.complainant)
        cases.append(ended)
    elif problem == "grouped":
        held = [filed(platform, T0), filed(platform, T0)]
        collective_propose(cases=held, actor=tom)
        held[0].refresh_from_db()
        cases.append(held[0])
    else:
        cases = cases[:1]
    with pytest.raises(InvalidInput):
        collective_propose(cases=cases, actor=tom)
    assert CollectiveCase.objects.count() == (1 if problem == "grouped" else 0)


def test_a_complainant_or_a_stranger_cannot_propose(platform) -> None:  # type: ignore[no-untyped-def]
    cases = [filed(platform, T0), filed(platform, T0)]
    with pytest.raises(Forbidden):
        collective_propose(cases=cases, actor=cases[0].complainant)  # sees one, acts on none
    assert CollectiveCase.objects.count() == 0


def test_a_triager_cannot_confirm(platform, tom) -> None:  # type: ignore[no-untyped-def]
    collective = collective_propose(cases=[filed(platform, T0), filed(platform, T0)], actor=tom)
    with pytest.raises(Forbidden):
        collective_confirm(collective=collective, actor=tom)
    collective.refresh_from_db()
    assert not collective.is_confirmed
    assert collective.events.count() == 1
    assert not CaseEvent.objects.filter(kind=EventKind.COLLECTIVE_JOINED).exists()


def test_a_supervisor_confirms_both_timelines_with_the_supervisor(platform, tom, suzy) -> None:  # type: ignore[no-untyped-def]
    cases = [filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    deadlines = set(TierStage.objects.values_list("case_id", "tier", "resolution_due_at"))
    collective = collective_propose(cases=cases, actor=tom)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        collective_confirm(collective=collective, actor=suzy)
    collective.refresh_from_db()
    assert collective.confirmed_by == suzy and collective.is_confirmed
    for case in cases:
        joined = case.events.get(kind=EventKind.COLLECTIVE_JOINED)
        assert joined.actor == suzy
        # Only the collective's reference and size: nothing of the other members.
        assert joined.payload == {"collective": collective.reference, "members": 3}
        assert chain_verify(case) == []
    confirmed = collective.events.get(kind=CollectiveEventKind.CONFIRMED)
    assert confirmed.actor == suzy and confirmed.seq == 2
    assert chain_verify(collective) == []
    # Members keep their own clocks and tiers.
    assert set(TierStage.objects.values_list("case_id", "tier", "resolution_due_at")) == deadlines
    mails = OutboxEmail.objects.filter(dedupe_key__startswith="collective-joined:")
    assert sorted(m.to[0] for m in mails) == sorted(c.complainant.email for c in cases)
    for case in cases:
        body = mails.get(case_id=case.pk).body
        assert all(o.complainant.email not in body for o in cases if o != case)
    with pytest.raises(InvalidTransition):
        collective_confirm(collective=collective, actor=suzy)


def test_the_platforms_webhook_learns_the_joining_and_nothing_of_the_others(
    platform, tom, suzy
) -> None:  # type: ignore[no-untyped-def]
    endpoint = webhook_endpoint_create(
        actor=suzy, url="https://hooks.kamen.example.cn/in", platform=platform
    )
    cases = [filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    collective = collective_propose(cases=cases, actor=tom)
    assert not WebhookDelivery.objects.filter(endpoint=endpoint).exists()  # a proposal is internal
    collective_confirm(collective=collective, actor=suzy)
    bodies = [
        json.loads(d.body)
        for d in WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
    ]
    assert sorted(b["case"]["reference"] for b in bodies) == sorted(c.reference for c in cases)
    assert {b["type"] for b in bodies} == {"case.collective_joined"}
    assert {json.dumps(b["event"]["payload"], sort_keys=True) for b in bodies} == {
        json.dumps({"collective": collective.reference, "members": 3}, sort_keys=True)
    }


def test_members_added_and_removed_by_a_supervisor_on_both_timelines(platform, tom, suzy) -> None:  # type: ignore[no-untyped-def]
    a, b, c = (filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2))
    collective = collective_propose(cases=[a, b], actor=tom)
    collective_confirm(collective=collective, actor=suzy)
    with pytest.raises(Forbidden):
        collective_add(collective=collective, cases=[c], actor=tom)
    collective_add(collective=collective, cases=[c], actor=suzy)
    assert c.events.get(kind=EventKind.COLLECTIVE_JOINED).payload["members"] == 3
    with pytest.raises(InvalidInput):
        collective_remove(collective=collective, case=a, actor=suzy, reason=" ")
    collective_remove(collective=collective, case=a, actor=suzy, reason="重复投诉")
    a.refresh_from_db()
    assert a.collective is None
    left = a.events.get(kind=EventKind.COLLECTIVE_LEFT)
    assert left.actor == suzy and left.payload == {"collective": collective.reference, "members": 2}
    kinds = list(collective.events.order_by("seq").values_list("kind", "actor__username"))
    assert kinds == [
        (CollectiveEventKind.PROPOSED, "tom"),
        (CollectiveEventKind.CONFIRMED, "suzy"),
        (CollectiveEventKind.MEMBER_ADDED, "suzy"),
        (CollectiveEventKind.MEMBER_REMOVED, "suzy"),
    ]
    assert chain_verify(collective) == []


def test_a_dismissed_proposal_frees_its_cases_and_a_closed_collective_keeps_them(
    platform, tom, suzy
) -> None:  # type: ignore[no-untyped-def]
    cases = [filed(platform, T0 + timedelta(hours=h)) for h in (0, 1, 2)]
    proposal = collective_propose(cases=cases, actor=tom)
    with pytest.raises(Forbidden):
        collective_close(collective=proposal, actor=tom, reason="不是同一原因")
    collective_close(collective=proposal, actor=suzy, reason="不是同一原因")
    proposal.refresh_from_db()
    assert proposal.status == CollectiveStatus.CLOSED and proposal.member_count == 0
    assert proposal.events.last().payload["dismissed"] is True  # type: ignore[union-attr]
    assert grouped() == [{c.pk for c in cases}]  # free to be grouped again
    again = collective_propose(cases=cases, actor=tom)
    collective_confirm(collective=again, actor=suzy)
    collective_close(collective=again, actor=suzy, reason="平台已统一退款")
    again.refresh_from_db()
    assert again.status == CollectiveStatus.CLOSED and again.member_count == 3


# --- the collective's own timeline -----------------------------------------------------------


@pytest.fixture
def collective(platform, tom, suzy):  # type: ignore[no-untyped-def]
    group = collective_propose(cases=[filed(platform, T0), filed(platform, T0)], actor=tom)
    collective_confirm(collective=group, actor=suzy)
    return group


def test_the_collective_timeline_is_a_hash_chain_of_the_case_timelines_format(collective) -> None:  # type: ignore[no-untyped-def]
    first, second = collective.events.order_by("seq")
    assert second.prev_hash == first.hash
    assert all(e.hash == e.compute_hash() for e in (first, second))
    assert chain_verify(collective) == []


def test_collective_events_refuse_update_and_delete(collective) -> None:  # type: ignore[no-untyped-def]
    event = collective.events.first()
    event.payload = {"members": ["forged"]}
    with pytest.raises(ImmutableRecord):
        event.save()
    with pytest.raises(ImmutableRecord):
        event.delete()
    with pytest.raises(ImmutableRecord):
        CollectiveEvent.objects.filter(collective=collective).delete()
    with pytest.raises(ImmutableRecord):
        CollectiveEvent.objects.filter(collective=collective).update(kind="collective_closed")
    assert collective.events.count() == 2


def test_the_database_refuses_raw_updates_on_postgresql(postgres, collective) -> None:  # type: ignore[no-untyped-def]
    event = collective.events.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_collectiveevent SET kind = 'collective_closed' WHERE id = %s",
            [event.pk],
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM complaints_collectiveevent WHERE id = %s", [event.pk])


def test_an_edit_behind_the_portals_back_is_found_by_verify_evidence(collective) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("verify_evidence", stdout=out)
    assert "1 collective case timeline(s) verified" in out.getvalue()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # an operator going around the trigger
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE complaints_collectiveevent SET payload = %s WHERE collective_id = %s "
            "AND seq = 2",
            ['{"members": []}', collective.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
    assert [(b.seq, b.problem) for b in chain_verify(collective)] == [
        (2, "content does not match its hash")
    ]
    with pytest.raises(Exception, match="mismatch"):
        call_command("verify_evidence", collective.reference, stdout=io.StringIO())


# --- the combined package --------------------------------------------------------------------

SECRET_PHONE = "13812345678"


@pytest.fixture
def evidenced(platform, tom, suzy):  # type: ignore[no-untyped-def]
    """A confirmed collective whose two members hold evidence, one a photo with GPS (its
    redacted copy has no EXIF) and a description with a phone number."""
    members = []
    for n in range(2):
        complainant = UserFactory(username=f"member{n}")
        bundle = bundle_create(owner=complainant, now=T0)
        evidence_add(
            bundle=bundle,
            actor=complainant,
            file=upload("支付凭证.jpg", samples.jpeg_with_gps()),
            kind="payment_voucher",
            description=f"客服电话 {SECRET_PHONE}",
        )
        members.append(filed(platform, T0, complainant=complainant, bundle=bundle))
    group = collective_propose(cases=members, actor=tom)
    collective_confirm(collective=group, actor=suzy)
    return group, members


def unzip(stream) -> zipfile.ZipFile:  # type: ignore[no-untyped-def]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(stream)))
    assert archive.testzip() is None
    return archive


@pytest.mark.parametrize("recipient", ["regulator", "platform", "public", "court"])
def test_the_combined_package_is_each_members_own_package_side_by_side(
    evidenced, recipient
) -> None:  # type: ignore[no-untyped-def]
    group, members = evidenced
    stream = collective_package(group, language="zh-hans", recipient=recipient)
    size = len(stream)
    data = b"".join(stream)
    assert len(data) == size  # the length is known before the first byte
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["collective"] == group.reference and manifest["recipient"] == recipient
    assert [part["case"] for part in manifest["cases"]] == [m.reference for m in members]
    for member, part in zip(members, manifest["cases"], strict=True):
        own = json.loads(
            unzip(case_package(member, language="zh-hans", recipient=recipient)).read(
                "manifest.json"
            )
        )
        prefix = f"cases/{member.reference}/"
        assert all(e["file"].startswith(prefix) for e in part["files"])
        stripped = [{**e, "file": e["file"].removeprefix(prefix)} for e in part["files"]]
        assert stripped == json.loads(json.dumps(own["files"]))  # redacted exactly alike
        for entry in part["files"]:
            body = archive.read(entry["file"])
            if entry["copy"] == "redacted":
                assert recipient != "court" and len(body) == entry["copy_size"]
                assert hashlib.sha256(body).hexdigest() != entry["sha256"]
            else:
                assert hashlib.sha256(body).hexdigest() == entry["sha256"]
            assert (SECRET_PHONE in entry["description"]) == (recipient == "court")
        timeline = json.loads(archive.read(f"{prefix}timeline.json"))
        assert [e["hash"] for e in timeline] == list(
            member.events.order_by("seq").values_list("hash", flat=True)
        )
    copies = {e["copy"] for part in manifest["cases"] for e in part["files"]}
    assert copies == ({"original"} if recipient == "court" else {"redacted"})
    timeline = json.loads(archive.read("timeline.json"))
    assert [e["kind"] for e in timeline] == ["collective_proposed", "collective_confirmed"]
    assert [e["hash"] for e in timeline] == list(
        group.events.order_by("seq").values_list("hash", flat=True)
    )
