"""The OpenAPI schema and Swagger UI (assets from drf-spectacular-sidecar, no CDN)."""

from typing import Any

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import not_found_view


class SchemaApi(SpectacularAPIView):
    """The schema with an ASCII file name: drf-spectacular names the file after TITLE,
    which is Chinese, and Django then MIME-encodes the whole header into something that
    is no Content-Disposition at all (RFC 6266 §4.1)."""

    @extend_schema(exclude=True)  # the schema does not describe itself
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        suffix = "json" if "json" in (request.accepted_renderer.format or "") else "yaml"
        response["Content-Disposition"] = f'inline; filename="kamen-api.{suffix}"'
        return response


urlpatterns = [
    path("schema/", SchemaApi.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*$", not_found_view, name="api-not-found"),  # keep last: JSON 404 under /api/
]
