"""Keyset (cursor) pages over ids, and the ``filter`` query parameter of lists."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import remove_query_param

from workspace import dql
from workspace.selectors.items import COUNT_LIMIT


class KeysetPagination(CursorPagination):
    """``?cursor=&page_size=`` over ``id``: an indexed range scan per page, never a COUNT."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class JumpPagination(KeysetPagination):
    """A keyset page that may start anywhere: after ``anchor`` (an id) when one is set, so a
    jump to page 900 is the same indexed range scan as page 2. Its links are plain cursors."""

    anchor: int | None = None

    def decode_cursor(self, request):
        if self.anchor is not None:
            return Cursor(offset=0, reverse=False, position=str(self.anchor))
        return super().decode_cursor(request)

    def encode_cursor(self, cursor):
        url = super().encode_cursor(cursor)
        for name in JUMP_PARAMETER_NAMES:  # the next page follows the cursor, without jumping or counting again
            url = remove_query_param(url, name)
        return url


class CountedJumpPagination(JumpPagination):
    """A jump page that may also carry ``count`` and ``countExact`` (``?count=true``)."""

    def get_paginated_response_schema(self, schema):
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"]["count"] = {
            "type": "integer",
            "description": f"With ?count=true: the items that match (at most {COUNT_LIMIT}).",
        }
        envelope["properties"]["countExact"] = {
            "type": "boolean",
            "description": f"With ?count=true: false when 'count' stopped at {COUNT_LIMIT}.",
        }
        return envelope


JUMP_PARAMETER_NAMES = ("page", "after_id", "count")
MAX_PAGE_NUMBER = 10**9

JUMP_PARAMETERS = [
    OpenApiParameter(
        "page",
        OpenApiTypes.INT,
        description="Jump to this page (1-based, of page_size items) without following cursors.",
    ),
    OpenApiParameter("after_id", OpenApiTypes.INT, description="Jump to the items whose id is greater than this."),
    OpenApiParameter(
        "count",
        OpenApiTypes.BOOL,
        description=f"true: add 'count', the number of items that match (exact up to {COUNT_LIMIT:,}; "
        f"above it 'countExact' is false and 'count' is {COUNT_LIMIT}), and 'countExact'.",
    ),
]


def positive_int_param(request, name: str, *, maximum: int) -> int | None:
    """An integer query parameter in 1..maximum, or None when absent; a 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: ["Must be an integer."]})
    if not 1 <= value <= maximum:
        raise exceptions.ValidationError({name: [f"Must be between 1 and {maximum}."]})
    return value


def bool_param(request, name: str) -> bool:
    raw = request.query_params.get(name, "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise exceptions.ValidationError({name: ["Must be true or false."]})


FILTER_PARAMETER = OpenApiParameter(
    "filter",
    OpenApiTypes.STR,
    description='A DQL query as JSON text, e.g. {"metadata.user.batch": {"$gte": 3}}.',
)


def filter_from_request(request) -> dict | None:
    """The ``filter`` query parameter as a DQL object; a 400 on ``filter`` if it is not JSON.

    Unknown fields or operators are found when the query is compiled by a selector; the
    ``QueryError`` it raises becomes the same 400 (workspace.api.errors).
    """
    try:
        return dql.parse(request.query_params.get("filter")) or None
    except dql.QueryError as exc:
        raise exceptions.ValidationError({"filter": [str(exc)]})


def paginate(
    view,
    queryset,
    serializer_class,
    *,
    context: dict | None = None,
    anchor: int | None = None,
    extra: dict | None = None,
):
    """One page of ``queryset`` as ``{next, previous, results}`` (plus ``extra``), starting
    after the id ``anchor`` when given; DQL errors become 400s on ``filter``. The paginator
    is the view's own ``pagination_class``, the one its schema describes."""
    paginator = view.pagination_class()
    paginator.anchor = anchor
    try:
        page = paginator.paginate_queryset(queryset, view.request, view=view)
    except dql.QueryError as exc:
        raise exceptions.ValidationError({"filter": [str(exc)]})
    data = serializer_class(page, many=True, context={"request": view.request, **(context or {})}).data
    response = paginator.get_paginated_response(data)
    if extra:
        response.data.update(extra)
    return response
