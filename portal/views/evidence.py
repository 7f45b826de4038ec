"""Evidence downloads, receipts, packages and summaries: access-checked, never public URLs.

Thin: each view asks a selector for what the user may see (NotFound becomes 404 for
others and for anonymous visitors alike) and hands the bytes over.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from casework.packages import case_package
from complaints.access import case_get_for_user
from complaints.errors import NotFound
from complaints.redaction import Recipient
from evidence.models import EvidenceItem
from evidence.pdf import summary_pdf
from evidence.receipt import receipt_build, receipt_json, receipt_text
from evidence.selectors import evidence_item_get_for_user


def _not_found_as_404(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    return require_GET(wrapper)


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


def _send_file(
    field: FieldFile, *, filename: str, content_type: str, attachment: bool
) -> HttpResponseBase:
    name = field.name
    if not name:
        raise NotFound()
    prefix = settings.EVIDENCE_X_ACCEL_REDIRECT_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
        disposition = content_disposition_header(attachment, filename)
        if disposition:  # None only for an inline file without a name
            response["Content-Disposition"] = disposition
        return response
    return FileResponse(
        field.storage.open(name, "rb"),
        as_attachment=attachment,
        filename=filename,
        content_type=content_type,
    )


def _item_for(request: HttpRequest, item_pk: int) -> EvidenceItem:
    """The item if the user may see it; a draft's (not yet filed) is its owner's alone."""
    item = evidence_item_get_for_user(request.user, item_pk=item_pk)
    if item.bundle.case_id is None and item.bundle.owner_id != request.user.pk:
        raise NotFound()
    return item


@_not_found_as_404
def item_download(request: HttpRequest, item_pk: int) -> HttpResponseBase:
    """The original, byte for byte, always as an attachment: never rendered by the browser."""
    item = _item_for(request, item_pk)
    return _send_file(
        item.file, filename=item.original_name, content_type=item.content_type, attachment=True
    )


def _derived(item: EvidenceItem, field: FieldFile, suffix: str) -> tuple[FieldFile, str]:
    if not field.name:
        raise NotFound()
    stem = item.original_name.rsplit(".", 1)[0]
    extension = field.name.rsplit(".", 1)[-1]
    return field, f"{stem}-{suffix}.{extension}"


@_not_found_as_404
def item_redacted(request: HttpRequest, item_pk: int) -> HttpResponseBase:
    """The image copy without EXIF/GPS, for sharing in public filings."""
    item = _item_for(request, item_pk)
    field, name = _derived(item, item.redacted_file, "clean")
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    return _send_file(field, filename=name, content_type=content_type, attachment=True)


@_not_found_as_404
def item_thumbnail(request: HttpRequest, item_pk: int) -> HttpResponseBase:
    item = _item_for(request, item_pk)
    field, name = _derived(item, item.thumbnail, "thumb")
    return _send_file(field, filename=name, content_type="image/jpeg", attachment=False)


@_not_found_as_404
def receipt(request: HttpRequest, reference: str) -> HttpResponseBase:
    case = case_get_for_user(request.user, reference=reference)
    data = receipt_build(case)
    if request.GET.get("format") == "json":
        response = HttpResponse(receipt_json(data), content_type="application/json")
        name = f"{case.reference}-receipt.json"
    else:
        response = HttpResponse(receipt_text(data), content_type="text/plain; charset=utf-8")
        name = f"{case.reference}-receipt.txt"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@_not_found_as_404
def package(request: HttpRequest, reference: str) -> HttpResponseBase:
    case = case_get_for_user(request.user, reference=reference)
    # ?for=court|regulator|platform|public: who the complainant hands it to.
    wanted = request.GET.get("for", "")
    recipient = wanted if wanted in Recipient.__members__.values() else None
    stream = case_package(case, language=_language(), recipient=recipient)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Length"] = str(len(stream))
    response["Content-Disposition"] = content_disposition_header(
        True, f"{case.reference}-evidence.zip"
    )
    return response


@_not_found_as_404
def summary(request: HttpRequest, reference: str) -> HttpResponseBase:
    case = case_get_for_user(request.user, reference=reference)
    response = HttpResponse(summary_pdf(case, language=_language()), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{case.reference}-summary.pdf"
    )
    return response
