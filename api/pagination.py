"""Cursor pagination for every list: stable under inserts, no page counting."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


class CursorPagination(pagination.CursorPagination):
    """``page_size`` is 1..100 and anything else is refused with 400, as the schema says:
    silently falling back to the default would hide a client's bug."""

    ordering: tuple[str, ...] = ("-created_at", "-pk")
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size or self.max_page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters


class SequencePagination(CursorPagination):
    """A case's timeline reads oldest first, in the order the hash chain was built."""

    ordering = ("seq",)


class UploadPagination(CursorPagination):
    """Evidence reads in the order it was handed in."""

    ordering = ("uploaded_at", "pk")
