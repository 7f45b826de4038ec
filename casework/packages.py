"""The evidence package of a case, with the current tier's filing document in it."""

from zipstream import ZipStream

from complaints.models import ComplaintCase
from complaints.redaction import Recipient
from escalation.documents import TIER_RECIPIENTS, document_render
from evidence.package import package_build


def case_package(
    case: ComplaintCase, *, language: str, recipient: Recipient | str | None = None
) -> ZipStream:
    """Iterate it for the ZIP's bytes, ``len()`` it for its size (the same for portal and API).

    ``recipient`` is who the complainant hands it to; by default the reader of the case's
    current tier (the platform, a regulator, the court), whose policy decides what is
    redacted and whether the files are originals or redacted copies.
    """
    recipient = Recipient(recipient or TIER_RECIPIENTS.get(case.tier, Recipient.PUBLIC))
    document = document_render(case=case, tier=case.tier, language=language)
    return package_build(case, language=language, document=document, recipient=recipient)
