import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from complaints.models import ComplaintCase
from tests.factories import OrderFactory, UserFactory, case_filed

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_references_are_sequential_within_a_year(db: None) -> None:
    now = datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
    refs = [case_filed(now=now).reference for _ in range(3)]
    assert refs == ["KM-2026-000001", "KM-2026-000002", "KM-2026-000003"]


def test_numbering_restarts_with_the_year_in_shanghai_time(db: None) -> None:
    case_filed(now=datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI))
    # 16:30 UTC on 31 December is already 1 January in Shanghai.
    new_year = case_filed(now=datetime(2026, 12, 31, 16, 30, tzinfo=ZoneInfo("UTC")))
    assert new_year.reference == "KM-2027-000001"


@pytest.mark.django_db(transaction=True)
def test_cases_filed_at_the_same_time_get_distinct_consecutive_references(postgres: None) -> None:
    users = [UserFactory() for _ in range(8)]
    orders = [OrderFactory(owner=user) for user in users]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def file(user, order) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            case_filed(complainant=user, order=order)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=pair) for pair in zip(users, orders, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(
        int(ref.rsplit("-", 1)[1])
        for ref in ComplaintCase.objects.values_list("reference", flat=True)
    )
    assert numbers == list(range(1, len(users) + 1))
