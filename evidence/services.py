"""Changes to evidence: bundles and items."""

from datetime import datetime

from complaints.models import ComplaintCase

from .models import EvidenceBundle


def bundle_create(*, case: ComplaintCase, now: datetime) -> EvidenceBundle:
    return EvidenceBundle.objects.create(case=case, created_at=now)
