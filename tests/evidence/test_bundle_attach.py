import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from complaints.choices import EventKind
from complaints.errors import InvalidInput
from complaints.models import ComplaintCase
from evidence.models import EvidenceItem
from evidence.services import bundle_create
from tests.factories import case_filed


def _item(bundle, owner, content: bytes, name: str) -> EvidenceItem:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256(content).hexdigest()
    item = EvidenceItem(
        bundle=bundle,
        kind="payment_voucher",
        original_name=name,
        content_type="image/png",
        size=len(content),
        sha256=digest,
        uploaded_by=owner,
    )
    item.file.save(name, ContentFile(content), save=True)
    return item


def test_filing_attaches_and_seals_the_draft_evidence(complainant) -> None:  # type: ignore[no-untyped-def]
    bundle = bundle_create(owner=complainant, now=timezone.now())
    first = _item(bundle, complainant, b"voucher", "voucher.png")
    second = _item(bundle, complainant, b"order page", "order.png")

    case = case_filed(complainant=complainant, bundle=bundle)

    assert case.evidence_bundle == bundle
    assert set(bundle.items.values_list("sealed_at", flat=True)) == {case.created_at}
    added = case.events.filter(kind=EventKind.EVIDENCE_ADDED).order_by("seq")
    assert [e.payload["sha256"] for e in added] == [first.sha256, second.sha256]


def test_a_bundle_cannot_serve_two_cases_or_another_user(complainant, outsider) -> None:  # type: ignore[no-untyped-def]
    bundle = bundle_create(owner=complainant, now=timezone.now())
    case_filed(complainant=complainant, bundle=bundle)
    with pytest.raises(InvalidInput):
        case_filed(complainant=complainant, bundle=bundle)
    foreign = bundle_create(owner=complainant, now=timezone.now())
    with pytest.raises(InvalidInput):
        case_filed(complainant=outsider, bundle=foreign)
    assert ComplaintCase.objects.count() == 1
