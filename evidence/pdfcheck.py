"""Refusing PDFs that carry active content: scripts, launch actions, embedded files.

A bank statement or an order page printed to PDF needs none of these; a PDF that runs
JavaScript when staff open it, or launches a program, is an attack on the people who
read the evidence (OWASP ASVS 5.0 V5.2.x "file content validation"; ISO 32000-2 §12.6
actions, §7.11.4 embedded files). The document's object graph is walked from the trailer
with pypdf (streams are never decoded: only their dictionaries are read), with a cap on
the objects visited so a crafted file cannot make the walk unbounded.
"""

import logging
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from complaints.errors import InvalidInput

logger = logging.getLogger(__name__)

# Dictionary keys whose mere presence means the PDF can act on its own when opened or
# clicked: document/page/annotation/field "additional actions", scripts, embedded files,
# rich media and XFA forms (which carry their own scripts).
ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia", "/XFA"}
)
# Action types (the /S of an action dictionary) that run code, open programs or files, or
# send data somewhere. /GoTo (a page inside the document) and /URI (a plain link, shown to
# the reader before it is followed) stay allowed.
ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/ImportData",
        "/SubmitForm",
        "/ResetForm",
        "/Rendition",
        "/GoToE",
        "/GoToR",
        "/RichMediaExecute",
        "/Sound",
        "/Movie",
    }
)


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"file": [message]})


def _active_reason(node: DictionaryObject) -> str | None:
    for key in node:
        if key in ACTIVE_KEYS:
            return str(key)
    opens = node.get("/OpenAction")
    if isinstance(opens, IndirectObject):
        opens = opens.get_object()
    if isinstance(opens, DictionaryObject) and opens.get("/S") != "/GoTo":
        return "/OpenAction"  # an action run on opening; a destination (an array) is fine
    action = node.get("/S")
    if isinstance(action, NameObject) and action in ACTIVE_ACTIONS:
        return str(action)
    if node.get("/Type") == "/Filespec" and ("/EF" in node or "/RF" in node):
        return "/EF"
    return None


def pdf_active_content(path: Any) -> str | None:
    """The first active feature found in the PDF (e.g. ``/JavaScript``), or None.

    Raises ``InvalidInput`` when the file cannot be read as a PDF at all, or is locked with
    a password (staff could not read it either).
    """
    damaged = _("The PDF is damaged and cannot be read.")
    limit = settings.EVIDENCE_PDF_MAX_OBJECTS
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _refuse(_("Password-protected PDFs are not accepted; upload it unlocked."))
        pending: list[Any] = [reader.trailer]
        seen: set[tuple[int, int]] = set()
        visited = 0
        while pending:
            node = pending.pop()
            if isinstance(node, IndirectObject):
                key = (node.idnum, node.generation)
                if key in seen:
                    continue
                seen.add(key)
                node = node.get_object()
            visited += 1
            if visited > limit:
                raise _refuse(_("The PDF has too many objects to check."))
            if isinstance(node, DictionaryObject):  # streams are dictionaries too
                reason = _active_reason(node)
                if reason is not None:
                    return reason
                pending.extend(v for k, v in node.items() if k not in ("/Parent", "/P"))
            elif isinstance(node, ArrayObject):
                pending.extend(node)
    except InvalidInput:
        raise
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        logger.info("unreadable PDF refused: %s", exc)
        raise _refuse(damaged) from exc
    except RecursionError as exc:
        raise _refuse(damaged) from exc
    return None


def pdf_check(path: Any) -> None:
    """Refuse a PDF with active content, naming what was found."""
    reason = pdf_active_content(path)
    if reason is not None:
        message = _(
            "The PDF contains active content (%(feature)s) such as scripts, launch actions "
            "or embedded files, and is refused. Print it to a new PDF and upload that."
        ) % {"feature": reason.lstrip("/")}
        raise _refuse(message)
