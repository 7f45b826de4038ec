from django import template

from complaints.redaction import Recipient, redact
from escalation.documents import EVIDENCE_PURPOSES

register = template.Library()


@register.simple_tag(takes_context=True)
def redacted(context: template.Context, value: object, recipient: str = "") -> str:
    """``value`` as the document's recipient (or the one named) may read it.

    The case's order number and reference (``keep`` in the context) stay visible: they
    name the dispute.
    """
    who = recipient or context.get("recipient") or Recipient.PUBLIC
    return redact(str(value or ""), recipient=who, keep=context.get("keep") or ())


@register.filter
def evidence_purpose(kind: str) -> str:
    """What evidence of ``kind`` proves, in the active language ("" for "other")."""
    purpose = EVIDENCE_PURPOSES.get(kind)
    return str(purpose) if purpose else ""
