"""The evidence package of a case, with the current tier's filing documents in it, and the
combined package of a collective case."""

from dataclasses import replace

from zipstream import ZipStream

from complaints.models import CollectiveCase, ComplaintCase
from complaints.redaction import Recipient, case_keep, redact
from escalation.documents import TIER_RECIPIENTS, FilingDocument, tier_documents
from evidence.package import collective_package_build, package_build


def package_documents(
    case: ComplaintCase, *, language: str, recipient: Recipient
) -> list[FilingDocument]:
    """The current tier's forms as ``recipient`` may read them.

    Each form is already redacted for its own reader (and carries what that reader needs,
    such as the complainant's phone for 12315); in a package for someone else it is
    redacted for them as well (a court form in a regulator's package shows card keys by
    their last 4 only, the 12315 form in the platform's the phone by its ends). A public
    package carries only the forms meant for publication (the 黑猫 text): the others name
    the complainant with phone and address.
    """
    keep = case_keep(case)
    return [
        d
        if d.recipient == recipient
        else replace(d, body=redact(d.body, recipient=recipient, keep=keep))
        for d in tier_documents(case=case, tier=case.tier, language=language)
        if recipient is not Recipient.PUBLIC or d.recipient == Recipient.PUBLIC
    ]


def case_package(
    case: ComplaintCase, *, language: str, recipient: Recipient | str | None = None
) -> ZipStream:
    """Iterate it for the ZIP's bytes, ``len()`` it for its size (the same for portal and API).

    ``recipient`` is who the complainant hands it to; by default the reader of the case's
    current tier (the platform, a regulator, the court), whose policy decides what is
    redacted and whether the files are originals or redacted copies.
    """
    recipient = Recipient(recipient or TIER_RECIPIENTS.get(case.tier, Recipient.PUBLIC))
    documents = package_documents(case, language=language, recipient=recipient)
    return package_build(case, language=language, documents=documents, recipient=recipient)


def collective_package(
    collective: CollectiveCase, *, language: str, recipient: Recipient | str | None = None
) -> ZipStream:
    """The combined package of ``collective``: by default for a regulator (12315 takes a
    group complaint as one), each member's evidence redacted for ``recipient`` as its own
    package would be."""
    return collective_package_build(
        collective, language=language, recipient=Recipient(recipient or Recipient.REGULATOR)
    )
