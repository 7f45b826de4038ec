"""The facts the documents ahead lack, given through one action; and the sealed record as
its seal grew (a record sealed before a field joined still verifies)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F, Value
from django.db.models.functions import Concat

from casework import actions
from complaints.choices import EventKind
from complaints.errors import Forbidden, InvalidInput
from complaints.models import ComplaintCase, Order, Profile
from complaints.records import record_hash_of, record_intact
from complaints.services import phone_check, profile_update
from complaints.tiers import Tier
from escalation.needs import document_needs_ahead
from evidence.integrity import case_verify
from notifications.models import OutboxEmail
from tests.factories import OrderFactory, case_filed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def fresh(case: ComplaintCase) -> ComplaintCase:
    return ComplaintCase.objects.select_related("order").get(pk=case.pk)


# --- the phone rule and the profile --------------------------------------------------------


@pytest.mark.parametrize("phone", ["13812345678", "+86 138-1234-5678", "0755 1234567"])
def test_phone_numbers_people_type_are_accepted(phone: str) -> None:
    assert phone_check(phone=f" {phone} ") == phone


@pytest.mark.parametrize("phone", ["call me", "1234", "138123456789012345678", "138a1234"])
def test_anything_else_is_refused_on_the_phone_field(phone: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        phone_check(phone=phone)
    assert list(refused.value.fields) == ["phone"]


def test_a_refused_profile_change_saves_nothing(complainant) -> None:  # type: ignore[no-untyped-def]
    profile_update(user=complainant, name="王小明")
    with pytest.raises(InvalidInput) as refused:
        profile_update(user=complainant, name="别人", phone="call me", address="x" * 301)
    assert set(refused.value.fields) == {"phone", "address"}
    assert Profile.objects.get(user=complainant).name == "王小明"


# --- what the documents ahead lack --------------------------------------------------------


def test_a_case_at_the_platform_is_asked_what_12315_needs(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    needs = document_needs_ahead(case)
    assert [n.field for n in needs] == ["name", "phone", "address", "other_proceedings"]
    assert {n.tier for n in needs} == {Tier.WATCHDOG}


def test_an_ended_case_is_asked_nothing(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    actions.case_withdraw(case=case, actor=complainant, reason="", outcome="withdrawn")
    assert document_needs_ahead(fresh(case)) == []


def test_giving_the_details_fills_the_profile_and_amends_the_record(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    actions.case_details_give(
        case=case,
        actor=complainant,
        details={
            "name": " 王小明 ",
            "phone": "13812345678",
            "address": "广东省深圳市南山区某某路 1 号",
            "other_proceedings": "unsure",
        },
        now=NOW + timedelta(hours=1),
    )
    profile = Profile.objects.get(user=complainant)
    assert (profile.name, profile.phone) == ("王小明", "13812345678")
    case = fresh(case)
    assert case.other_proceedings == "unsure"
    event = case.events.get(kind=EventKind.AMENDED)
    assert event.actor == complainant and event.created_at == NOW + timedelta(hours=1)
    assert (event.payload["before"], event.payload["after"]) == ("", "unsure")
    assert event.payload["record_version"] == 2
    assert document_needs_ahead(case) == []
    assert case_verify(case) == []
    mail = OutboxEmail.objects.get(dedupe_key=f"amended:{event.pk}")
    assert "不确定" in mail.body  # the answer's label, not its code


def test_one_refused_value_keeps_everything_as_it_was(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        actions.case_details_give(
            case=case,
            actor=complainant,
            details={"name": "王小明", "phone": "call me", "other_proceedings": "no"},
        )
    assert set(refused.value.fields) == {"phone"}
    assert not Profile.objects.filter(user=complainant).exists()
    case = fresh(case)
    assert case.other_proceedings == ""
    assert not case.events.filter(kind=EventKind.AMENDED).exists()
    assert not OutboxEmail.objects.filter(dedupe_key__startswith="amended:").exists()


def test_an_unknown_answer_is_refused_on_its_field(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        actions.case_details_give(
            case=case, actor=complainant, details={"other_proceedings": "maybe"}
        )
    assert list(refused.value.fields) == ["other_proceedings"]


def test_staff_do_not_say_who_the_complainant_is(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=NOW)
    with pytest.raises(Forbidden):
        actions.case_details_give(case=case, actor=triager, details={"name": "某人"})
    assert not Profile.objects.filter(user=complainant).exists()


def test_staff_correct_the_other_proceedings_answer_by_amendment_in_words(  # type: ignore[no-untyped-def]
    complainant, triager
) -> None:
    case = case_filed(complainant=complainant, now=NOW, other_proceedings="no")
    event = actions.case_amend(
        case=case, actor=triager, field="other_proceedings", value="是", reason="电话确认"
    )
    assert (event.payload["before"], event.payload["after"]) == ("no", "yes")
    with pytest.raises(InvalidInput) as refused:
        actions.case_amend(
            case=fresh(case), actor=triager, field="other_proceedings", value="", reason="x"
        )
    assert list(refused.value.fields) == ["value"]


# --- the seal as it grew ------------------------------------------------------------------


def test_a_change_of_the_payee_behind_the_records_back_is_reported(complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant, merchant_on_bill="深圳市某某网络科技有限公司")
    case = case_filed(complainant=complainant, order=order, now=NOW)
    assert case_verify(fresh(case)) == []
    Order.objects.filter(pk=order.pk).update(merchant_on_bill="别的公司")
    assert not record_intact(fresh(case))
    assert any("record" in str(m) for m in case_verify(fresh(case)))


def test_a_record_sealed_before_the_payee_and_other_proceedings_joined_still_verifies(  # type: ignore[no-untyped-def]
    complainant, monkeypatch
) -> None:
    # Filed as before seal version 2: the FILED event names no version, its hash covers
    # the first version's fields only.
    monkeypatch.setattr(
        actions.filing, "record_seal", lambda case: {"record_sha256": record_hash_of(case, 1)}
    )
    case = case_filed(complainant=complainant, now=NOW, other_proceedings="no")
    assert "record_version" not in case.events.get(kind=EventKind.FILED).payload
    assert record_hash_of(fresh(case)) != record_hash_of(fresh(case), 1)
    assert case_verify(fresh(case)) == []
    # What version 1 covered is still guarded.
    ComplaintCase.objects.filter(pk=case.pk).update(
        description=Concat(F("description"), Value("!"))
    )
    assert not record_intact(fresh(case))
    monkeypatch.undo()
    # The next amendment seals the record again, at the current version.
    ComplaintCase.objects.filter(pk=case.pk).update(description="付款后订单消失")
    actions.case_amend(
        case=fresh(case), actor=complainant, field="other_proceedings", value="yes", reason="补充"
    )
    assert record_intact(fresh(case))
    Order.objects.filter(pk=case.order_id).update(merchant_on_bill="后来改的")
    assert not record_intact(fresh(case))
