"""factory_boy factories; services build the objects that have rules, factories the rest."""

from datetime import datetime
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from casework import actions
from complaints.choices import DemandKind, ProblemType, ProductKind, Urgency
from complaints.models import ComplaintCase, Order, Platform


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-for-tests-1")


class StaffFactory(UserFactory):
    is_staff = True


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试卡盟{n}")
    website = factory.LazyAttribute(lambda p: "https://kamen.example.cn")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    owner = factory.SubFactory(UserFactory)
    platform = factory.SubFactory(PlatformFactory)
    order_number = factory.Sequence(lambda n: f"2026{n:07d}")
    product_name = "腾讯视频 SVIP 月卡"
    product_kind = ProductKind.MEMBERSHIP
    amount = Decimal("30.00")


def case_filed(
    *,
    complainant: Any = None,
    now: datetime | None = None,
    problem_type: str = ProblemType.LOST_ORDER_UNSYNCED,
    **kwargs: Any,
) -> ComplaintCase:
    """A case filed through the real service, as the portal would."""
    complainant = complainant or UserFactory()
    order = kwargs.pop("order", None) or OrderFactory(owner=complainant)
    if kwargs.get("urgency") == Urgency.URGENT:
        kwargs.setdefault("urgency_reason", "今天急用")  # an urgent complaint says why
    return actions.case_file(
        complainant=complainant,
        order=order,
        problem_type=problem_type,
        description=kwargs.pop("description", "付款后订单消失"),
        demand_kind=kwargs.pop("demand_kind", DemandKind.REFUND),
        now=now or timezone.now(),
        **kwargs,
    )
