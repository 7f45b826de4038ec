"""The receipt a complainant keeps: what they filed, provable later even against the portal.

It lists each item's SHA-256 and the head of the case's hash chain. Anyone holding the
receipt can later check that the files and the timeline the portal shows are the ones
filed: a changed file changes its hash; a changed event changes the chain head.
"""

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from complaints.models import ComplaintCase

from .models import EvidenceKind
from .selectors import case_items

# Beijing time, whatever the server's setting: the complainant, the platform and a
# Chinese court read times in it, and an explicit +08:00 leaves no doubt.
BEIJING = ZoneInfo("Asia/Shanghai")
# Not part of the fingerprint: when this copy was printed is no part of what was filed.
UNFINGERPRINTED = frozenset({"issued_at", "receipt_sha256"})


def beijing(value: datetime | None) -> str | None:
    """ISO 8601 in Beijing time, to the second, with ``+08:00``."""
    if value is None:
        return None
    return value.astimezone(BEIJING).isoformat(timespec="seconds")


def receipt_build(case: ComplaintCase, *, now: datetime | None = None) -> dict[str, Any]:
    """The receipt as data (serialised as JSON for download, rendered as text for people).

    Its fingerprint covers the canonical serialisation (``receipt_canonical``) of all but
    ``issued_at``, so the same case state gives the same fingerprint in the email, the
    download and the package, however often and whenever the receipt is issued.
    """
    now = now or timezone.now()
    head = case.events.order_by("-seq").values("seq", "hash", "created_at").first()
    receipt: dict[str, Any] = {
        "case": case.reference,
        "subject": case.subject_line,
        "filed_at": beijing(case.created_at),
        "issued_at": beijing(now),
        "items": [
            {
                "item": item.pk,
                "name": item.original_name,
                "kind": item.kind,
                "size": item.size,
                "sha256": item.sha256,
                "uploaded_at": beijing(item.uploaded_at),
                "sealed_at": beijing(item.sealed_at),
            }
            for item in case_items(case)
        ],
        "chain_head": {
            "seq": head["seq"] if head else 0,
            "hash": head["hash"] if head else "",
            "at": beijing(head["created_at"]) if head else None,
        },
    }
    receipt["receipt_sha256"] = receipt_fingerprint(receipt)
    return receipt


def receipt_canonical(receipt: dict[str, Any]) -> bytes:
    """The one canonical serialisation: sorted keys, no spaces, UTF-8, without the
    unfingerprinted fields. Anyone can recompute the fingerprint from receipt.json."""
    data = {k: v for k, v in receipt.items() if k not in UNFINGERPRINTED}
    return json.dumps(
        data, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


def receipt_fingerprint(receipt: dict[str, Any]) -> str:
    return hashlib.sha256(receipt_canonical(receipt)).hexdigest()


def receipt_json(receipt: dict[str, Any]) -> str:
    return json.dumps(receipt, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n"


def receipt_text(receipt: dict[str, Any]) -> str:
    """The receipt for people, in the active language: kinds by their labels, not keys."""
    items = [
        {**item, "kind_label": EvidenceKind(item["kind"]).label}
        if item["kind"] in EvidenceKind.values
        else {**item, "kind_label": item["kind"]}
        for item in receipt["items"]
    ]
    context = {"receipt": receipt, "items": items}
    return render_to_string("evidence/receipt.txt", context).strip() + "\n"
