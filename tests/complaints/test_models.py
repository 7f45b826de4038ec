from decimal import Decimal
from unittest import mock

import pytest
from django.db import models
from django.utils import translation

from complaints import choices
from complaints.errors import InvalidInput
from complaints.models import Order, Platform
from complaints.services import money, order_create, platform_get_or_create
from complaints.tiers import Tier
from escalation.models import StageCloseReason
from evidence.models import EvidenceKind
from tests.factories import PlatformFactory

ALL_CHOICES: list[type[models.TextChoices]] = [
    choices.ProductKind,
    choices.PaymentMethod,
    choices.Currency,
    choices.ProblemType,
    choices.DemandKind,
    choices.Urgency,
    choices.CaseStatus,
    choices.ResolutionOutcome,
    choices.EventKind,
    choices.CollectiveStatus,
    choices.CollectiveEventKind,
    Tier,
    EvidenceKind,
    StageCloseReason,
]


@pytest.mark.parametrize("enum", ALL_CHOICES, ids=lambda e: e.__name__)
def test_every_choice_reads_in_chinese_and_in_english(enum: type[models.TextChoices]) -> None:
    for member in enum:
        with translation.override("en"):
            english = str(member.label)
        with translation.override("zh-hans"):
            chinese = str(member.label)
        assert english and chinese
        assert chinese != english, f"{enum.__name__}.{member.name} has no Chinese label"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), chinese


def test_problem_types_cover_the_domain_table() -> None:
    assert set(choices.ProblemType.values) == {
        "network_error",
        "lost_order_unsynced",
        "lost_order_stuck",
        "lost_order_vanished",
        "invalid_card_key",
        "not_delivered",
        "complaint_ignored",
    }


def test_money_keeps_cents_exactly(complainant) -> None:  # type: ignore[no-untyped-def]
    platform = PlatformFactory()
    a = order_create(
        owner=complainant, platform=platform, order_number="A1", product_name="点券", amount="0.10"
    )
    b = order_create(
        owner=complainant,
        platform=platform,
        order_number="A2",
        product_name="点券",
        amount=Decimal("0.20"),
    )
    total = sum(Order.objects.filter(pk__in=[a.pk, b.pk]).values_list("amount", flat=True))
    assert isinstance(total, Decimal)
    assert total == Decimal("0.30")


def test_money_refuses_floats() -> None:
    with pytest.raises(InvalidInput):
        money(0.1)  # type: ignore[arg-type]
    assert money("19.9") == Decimal("19.90")


@pytest.mark.parametrize("bad", ["", "abc", "NaN", "Infinity", "0", "-5"])
def test_an_order_with_a_bad_amount_is_refused_and_nothing_is_saved(complainant, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as excinfo:
        order_create(
            owner=complainant,
            platform=PlatformFactory(),
            order_number="X",
            product_name="点券",
            amount=bad,
        )
    assert "amount" in excinfo.value.fields
    assert not Order.objects.exists()


def test_subject_line_follows_the_articles(complainant) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import OrderFactory, case_filed

    order = OrderFactory(owner=complainant, order_number="20240521001")
    case = case_filed(complainant=complainant, order=order)
    with translation.override("zh-hans"):
        assert case.subject_line.startswith("投诉-20240521001-")


@pytest.mark.django_db
def test_two_filings_naming_the_same_new_platform_at_once_share_it() -> None:
    """The load test's first seconds: fifty complainants name a platform nobody filed
    about before. The one whose insert meets the other's committed row takes that row."""

    def rival_commits_first(platform: Platform) -> None:  # between our lookup and our insert
        Platform.objects.create(name=platform.name)

    with mock.patch("complaints.services.full_clean", side_effect=rival_commits_first):
        platform = platform_get_or_create(name="新开卡盟")
    assert Platform.objects.filter(name="新开卡盟").count() == 1
    assert platform.pk == Platform.objects.get(name="新开卡盟").pk
