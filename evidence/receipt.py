"""The receipt a complainant keeps: what they filed, provable later even against the portal.

It lists each item's SHA-256 and the head of the case's hash chain. Anyone holding the
receipt can later check that the files and the timeline the portal shows are the ones
filed: a changed file changes its hash; a changed event changes the chain head.
"""

import hashlib
import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def receipt_send(*, case: ComplaintCase, now: datetime | None = None, filing: bool = False) -> None:
    """Email the complainant the receipt of what they just submitted.

    Called in the submitting transaction, so the receipt's chain head is the one just
    written, and through escalation's outbox (sent once, retried, never lost). At filing
    it is the one "filed" email: the reference, the next step with the platform letter,
    then the receipt. In the complainant's preferred language.
    """
    from complaints.portal.accounts import complainant_language
    from escalation.outbox import outbox_email

    to = case.complainant.email
    if not to:
        return
    language = complainant_language(case.complainant)
    with translation.override(language):
        receipt = receipt_build(case, now=now)
        subject = _("Evidence receipt for %(reference)s") % {"reference": case.reference}
        body = receipt_text(receipt)
        if filing:
            subject = _("Complaint %(reference)s filed") % {"reference": case.reference}
            body = "\n\n".join([_filed_intro(case, language=language), "-" * 40, body])
    outbox_email(
        to=[to],
        subject=subject,
        body=body,
        dedupe_key=f"evidence-receipt:{case.pk}:{receipt['chain_head']['hash']}",
        case=case,
    )


def _filed_intro(case: ComplaintCase, *, language: str) -> str:
    """What was filed and what to do next: send the platform letter (included)."""
    from escalation.documents import document_render
    from escalation.ladder import Tier
    from escalation.notifications import tier_instructions

    case_url = settings.SITE_URL.rstrip("/") + reverse(
        "portal:case_detail", kwargs={"reference": case.reference}
    )
    intro = _(
        "Your complaint %(reference)s about %(platform)s order %(order)s is filed. "
        "Your case page: %(url)s"
    ) % {
        "reference": case.reference,
        "platform": case.order.platform.name,
        "order": case.order.order_number,
        "url": case_url,
    }
    letter = document_render(case=case, tier=Tier.PLATFORM, language=language)
    return "\n\n".join(
        [intro, _("What to do:"), tier_instructions(Tier.PLATFORM), "-" * 40, letter.body]
    )
