"""Cursor pagination for every list: stable under inserts, no page counting."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    ordering: tuple[str, ...] = ("-created_at", "-pk")
    page_size_query_param = "page_size"
    max_page_size = 100


class SequencePagination(CursorPagination):
    """A case's timeline reads oldest first, in the order the hash chain was built."""

    ordering = ("seq",)


class UploadPagination(CursorPagination):
    """Evidence reads in the order it was handed in."""

    ordering = ("uploaded_at", "pk")
