"""The evidence package of a case, with the current tier's filing document in it."""

from zipstream import ZipStream

from complaints.models import ComplaintCase
from escalation.documents import document_render
from evidence.package import package_build


def case_package(case: ComplaintCase, *, language: str) -> ZipStream:
    """Iterate it for the ZIP's bytes, ``len()`` it for its size (the same for portal and API)."""
    document = document_render(case=case, tier=case.tier, language=language)
    return package_build(case, language=language, document=document)
