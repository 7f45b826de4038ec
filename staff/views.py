"""The 403 page: the admin's own, translated, under /admin/; Django's elsewhere."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import defaults


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """A staff member who opens an admin page their role does not allow (a triager on the
    outbox, say) reads why, in their language, inside the admin, not a bare "403 Forbidden"."""
    if not request.path.startswith("/admin/"):
        return defaults.permission_denied(request, exception)
    context = {
        **admin.site.each_context(request),
        "title": _("Not allowed"),
    }
    response = TemplateResponse(request, "admin/403.html", context, status=403)
    return response.render()
