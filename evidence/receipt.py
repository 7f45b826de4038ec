"""The receipt a complainant keeps: what they filed, provable later even against the portal.

It lists each item's SHA-256 and the head of the case's hash chain. Anyone holding the
receipt can later check that the files and the timeline the portal shows are the ones
filed: a changed file changes its hash; a changed event changes the chain head.
"""

import hashlib
import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from complaints.models import ComplaintCase

from .selectors import case_items


def receipt_build(case: ComplaintCase, *, now: datetime | None = None) -> dict[str, Any]:
    """The receipt as data (serialised as JSON for download, rendered as text for people)."""
    now = now or timezone.now()
    head = case.events.order_by("-seq").values("seq", "hash", "created_at").first()
    receipt: dict[str, Any] = {
        "case": case.reference,
        "subject": case.subject_line,
        "filed_at": case.created_at.isoformat(),
        "issued_at": now.isoformat(),
        "items": [
            {
                "item": item.pk,
                "name": item.original_name,
                "kind": item.kind,
                "size": item.size,
                "sha256": item.sha256,
                "uploaded_at": item.uploaded_at.isoformat(),
                "sealed_at": item.sealed_at.isoformat() if item.sealed_at else None,
            }
            for item in case_items(case)
        ],
        "chain_head": {
            "seq": head["seq"] if head else 0,
            "hash": head["hash"] if head else "",
            "at": head["created_at"].isoformat() if head else None,
        },
    }
    receipt["receipt_sha256"] = hashlib.sha256(_canonical(receipt)).hexdigest()
    return receipt


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(
        data, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


def receipt_json(receipt: dict[str, Any]) -> str:
    return json.dumps(receipt, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n"


def receipt_text(receipt: dict[str, Any]) -> str:
    """The receipt for people, in the active language."""
    return render_to_string("evidence/receipt.txt", {"receipt": receipt}).strip() + "\n"
