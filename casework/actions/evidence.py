"""Evidence added to a filed case: each file sealed and in the timeline, one receipt."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from complaints.access import Act, check_act
from complaints.models import ComplaintCase
from evidence.models import EvidenceItem
from evidence.services import evidence_add

from ..receipts import receipt_send
from .base import _clocks_resume, case_writes


def case_evidence_add(
    *,
    case: ComplaintCase,
    actor: Any,
    files: list[Any],
    kind: str,
    occurred_at: datetime | None = None,
    description: str = "",
    now: datetime | None = None,
) -> list[EvidenceItem]:
    """Add files to a filed case's evidence, each sealed and in the timeline; one receipt.

    Each file is stored in its own transaction, so a refused file keeps the ones before
    it; whatever was stored is covered by one receipt email for the whole request, also
    when a later file is refused.
    """
    now = now or timezone.now()
    check_act(actor, case, Act.ADD_EVIDENCE)
    stored: list[EvidenceItem] = []
    try:
        for upload in files:
            with case_writes(case):
                if getattr(actor, "pk", None) == case.complainant_id:
                    # The complainant's upload answers a request for evidence.
                    _clocks_resume(case=case, actor=actor, by="upload", now=now)
                item = evidence_add(
                    bundle=case.evidence_bundle,
                    actor=actor,
                    file=upload,
                    kind=kind,
                    occurred_at=occurred_at,
                    description=description,
                    now=now,
                )
            stored.append(item)
    finally:
        if stored:
            with transaction.atomic():
                receipt_send(case=case, now=now)
    return stored
