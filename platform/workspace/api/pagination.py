"""Keyset (cursor) pages over ids, and the ``filter`` query parameter of lists."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

from workspace import dql


class KeysetPagination(CursorPagination):
    """``?cursor=&page_size=`` over ``id``: an indexed range scan per page, never a COUNT."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


FILTER_PARAMETER = OpenApiParameter(
    "filter",
    OpenApiTypes.STR,
    description='A DQL query as JSON text, e.g. {"metadata.user.batch": {"$gte": 3}}.',
)


def query_error_message(exc: dql.QueryError) -> str:
    return f"{exc.path}: {exc.message}" if getattr(exc, "path", None) else str(getattr(exc, "message", exc))


def filter_from_request(request) -> dict | None:
    """The ``filter`` query parameter as a DQL object; a 400 on ``filter`` if it is not JSON.

    Unknown fields or operators are found when the query is compiled by a selector; the
    ``QueryError`` it raises becomes the same 400 (workspace.api.errors).
    """
    try:
        return dql.parse(request.query_params.get("filter")) or None
    except dql.QueryError as exc:
        raise exceptions.ValidationError({"filter": [query_error_message(exc)]})


def paginate(view, queryset, serializer_class, *, context: dict | None = None):
    """One page of ``queryset`` as ``{next, previous, results}``; DQL errors become 400s on ``filter``."""
    paginator = KeysetPagination()
    try:
        page = paginator.paginate_queryset(queryset, view.request, view=view)
    except dql.QueryError as exc:
        raise exceptions.ValidationError({"filter": [query_error_message(exc)]})
    data = serializer_class(page, many=True, context={"request": view.request, **(context or {})}).data
    return paginator.get_paginated_response(data)
