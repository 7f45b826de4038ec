"""Two uploads racing for the last room in a case: only one gets in (PostgreSQL row lock)."""

import threading

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from complaints.errors import InvalidInput
from evidence.models import EvidenceItem
from evidence.services import bundle_create, evidence_add
from tests.evidence import samples
from tests.evidence.conftest import upload
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
@override_settings(EVIDENCE_MAX_CASE_BYTES=6000)
def test_two_uploads_cannot_both_take_the_last_room_in_a_case(postgres) -> None:  # type: ignore[no-untyped-def]
    owner = UserFactory(username="alice")
    bundle = bundle_create(owner=owner, now=timezone.now())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def upload_one(brand: bytes) -> None:
        try:
            barrier.wait()
            evidence_add(
                bundle=bundle,
                actor=owner,
                file=upload(f"{brand.decode()}.mp4", samples.mp4(brand, payload=4096)),
                kind="screen_recording",
            )
            outcomes.append("stored")
        except InvalidInput:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=upload_one, args=(b,)) for b in (b"isom", b"mp42")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "stored"]
    assert EvidenceItem.objects.filter(bundle=bundle).count() == 1
