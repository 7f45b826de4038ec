"""Filing documents: what the complainant hands to each tier, generated from the case."""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints.models import ComplaintCase


@dataclass(frozen=True)
class FilingDocument:
    tier: str
    language: str
    title: str
    filename: str
    body: str
    content_type: str = "text/plain; charset=utf-8"


def document_render(
    *, case: ComplaintCase, tier: str | None = None, language: str = "zh-hans"
) -> FilingDocument:
    """The filing document for ``tier`` (the case's current tier by default) in ``language``.

    Templates live in templates/escalation/documents/<tier>.<language>.txt, one per tier
    and language, so that a lawyer can edit the wording without touching code.
    """
    tier = tier or case.tier
    with translation.override(language):
        context = {
            "case": case,
            "order": case.order,
            "platform": case.order.platform,
            "today": timezone.localdate(),
        }
        body = render_to_string(f"escalation/documents/{tier}.{language}.txt", context)
        title = case.subject_line
    return FilingDocument(
        tier=tier,
        language=language,
        title=title,
        filename=f"{case.reference}-{tier}-{language}.txt",
        body=body.strip() + "\n",
    )
