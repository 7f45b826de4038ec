"""The evidence package of a case, with the current tier's filing document in it, and the
combined package of a collective case."""

from zipstream import ZipStream

from complaints.models import CollectiveCase, ComplaintCase
from complaints.redaction import Recipient
from escalation.documents import TIER_RECIPIENTS, document_render
from evidence.package import collective_package_build, package_build


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


def collective_package(
    collective: CollectiveCase, *, language: str, recipient: Recipient | str | None = None
) -> ZipStream:
    """The combined package of ``collective``: by default for a regulator (12315 takes a
    group complaint as one), each member's evidence redacted for ``recipient`` as its own
    package would be."""
    return collective_package_build(
        collective, language=language, recipient=Recipient(recipient or Recipient.REGULATOR)
    )
