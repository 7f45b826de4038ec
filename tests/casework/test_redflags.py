"""Red flags (casework/redflags.py) on a known data set, and their place in the admin."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import actions
from casework.redflags import red_flags_for
from complaints.access import roles_ensure
from complaints.choices import ProblemType
from complaints.models import ComplaintCase, Merchant
from tests.factories import OrderFactory, PlatformFactory, StaffFactory, UserFactory, case_filed

THRESHOLDS = {
    "REDFLAG_MERCHANT_INVALID_KEYS": 2,
    "REDFLAG_PLATFORM_OVERDUE": 2,
    "REDFLAG_COMPLAINANT_ENDED": 2,
}


def filed(complainant=None, *, platform=None, merchant=None, **kwargs):  # type: ignore[no-untyped-def]
    complainant = complainant or UserFactory()
    platform = platform or (merchant.platform if merchant else PlatformFactory())
    order = OrderFactory(owner=complainant, platform=platform, merchant=merchant)
    return case_filed(complainant=complainant, order=order, **kwargs)


@pytest.fixture
def known(db):  # type: ignore[no-untyped-def]
    """A merchant with two invalid-key complaints, a platform with two overdue unanswered
    cases, a complainant with two withdrawn complaints, and a clean case."""
    shady = Merchant.objects.create(platform=PlatformFactory(), name="黑店")
    for _ in range(2):
        filed(merchant=shady, problem_type=ProblemType.INVALID_CARD_KEY)
    slow = PlatformFactory()
    long_ago = timezone.now() - timedelta(days=20)
    for _ in range(2):
        filed(platform=slow, now=long_ago)
    serial = UserFactory()
    for _ in range(2):
        case = filed(serial)
        actions.case_withdraw(case=case, actor=serial)
    clean = filed()
    return {"shady": shady, "slow": slow, "serial": serial, "clean": clean}


@override_settings(**THRESHOLDS)
def test_the_three_flags_on_a_known_data_set(known) -> None:  # type: ignore[no-untyped-def]
    cases = list(ComplaintCase.objects.select_related("order"))
    with CaptureQueriesContext(connection) as captured:
        flags = red_flags_for(cases, now=timezone.now())
    assert len(captured) == 3
    assert flags.merchants == {known["shady"].pk}
    assert flags.platforms == {known["slow"].pk}
    assert flags.complainants == {known["serial"].pk}
    assert flags.words(known["clean"]) == []
    words = {w for c in cases for w in flags.words(c)}
    assert len(words) == 3


@override_settings(REDFLAG_MERCHANT_INVALID_KEYS=3)
def test_below_the_threshold_no_flag(known) -> None:  # type: ignore[no-untyped-def]
    cases = list(ComplaintCase.objects.select_related("order"))
    assert red_flags_for(cases, now=timezone.now()).merchants == frozenset()


@override_settings(**THRESHOLDS)
def test_the_admin_shows_the_flags_for_a_human(known) -> None:  # type: ignore[no-untyped-def]
    triager = StaffFactory(username="tom")
    triager.groups.add(roles_ensure()[0])
    client = Client()
    client.force_login(triager)
    flagged = ComplaintCase.objects.filter(order__merchant=known["shady"]).first()
    assert flagged is not None
    page = client.get(reverse("admin:complaints_complaintcase_change", args=[flagged.pk]))
    assert "⚑" in page.content.decode()
    listing = client.get(reverse("admin:complaints_complaintcase_changelist"), {"cases": "all"})
    assert listing.content.decode().count("⚑") >= 3
