"""A page of a dataset's items as JSON text, built from raw rows.

The dataset's item list is the path that walks a million items (the SDK's
``dataset.items.list()``, bench/sdk.py), so its page is not made of model instances and
a serializer: each row is read as plain columns, with the metadata as the database's
own JSON text, and spliced into the answer without being decoded and encoded again.
The JSON is exactly ``ItemSerializer``'s (a test compares them item by item); pages
may hold up to ``MAX_ITEMS_PAGE_SIZE`` items, and a bad ``page_size`` is a 400.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as quoted

from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.urls import reverse
from rest_framework import exceptions

from workspace import dql
from workspace.api.pagination import CountedJumpPagination, positive_int_param

MAX_ITEMS_PAGE_SIZE = 10_000

_ROW = ("id", "dataset_id", "name", "dir", "type", "hidden", "width", "height", "size", "metadata_text", "created_text")
_SENTINEL = "987654321987"


class ItemPagination(CountedJumpPagination):
    """Keyset pages of item rows (tuples whose first column is the id), up to 10,000 a page."""

    max_page_size = MAX_ITEMS_PAGE_SIZE

    def get_page_size(self, request):
        size = positive_int_param(request, self.page_size_query_param, maximum=self.max_page_size)
        return self.page_size if size is None else size

    def _get_position_from_instance(self, instance, ordering):
        return str(instance[0])


def _rows(items):
    # Text casts: SQLite's stored JSON and PostgreSQL's jsonb::text are JSON as they stand.
    return items.annotate(
        metadata_text=Cast("metadata", TextField()), created_text=Cast("created_at", TextField())
    ).values_list(*_ROW)


def _timestamp(text: str) -> str:
    """ItemSerializer's ISO 8601 "...Z" from the database's text of a UTC time: SQLite's
    "YYYY-MM-DD HH:MM:SS[.ffffff]", PostgreSQL's the same with "+00" (a UTC connection)
    and its fraction's trailing zeros dropped (Python writes all six digits)."""
    text = text.replace(" ", "T", 1)
    if text.endswith("+00"):
        text = text[:-3]
    if "." in text:
        whole, fraction = text.split(".", 1)
        text = f"{whole}.{fraction:0<6}"
    return text + "Z"


def _url_parts(request, name: str) -> tuple[str, str]:
    """The JSON string of ``/api/items/{id}/<name>/`` split around the id, made once a page."""
    path = reverse(f"workspace:{name}", args=[int(_SENTINEL)])
    text = json.dumps(request.build_absolute_uri(path) if request is not None else path)
    head, tail = text.split(_SENTINEL, 1)
    return head, tail


def items_json(rows, *, project_id: int, request) -> str:
    """The rows as ``[Item, ...]`` JSON text."""
    url_head, url_tail = _url_parts(request, "item-download")
    thumb_head, thumb_tail = _url_parts(request, "item-thumbnail")
    out = []
    for pk, dataset_id, name, folder, kind, hidden, width, height, size, metadata, created in rows:
        out.append(
            f'{{"id":{pk},"datasetId":{dataset_id},"projectId":{project_id},"name":{quoted(name)},'
            f'"dir":{quoted(folder)},"filename":{quoted(folder.rstrip("/") + "/" + name)},"type":{quoted(kind)},'
            f'"hidden":{"true" if hidden else "false"},"width":{width},"height":{height},"size":{size},'
            f'"metadata":{metadata},"createdAt":"{_timestamp(created)}",'
            f'"url":{url_head}{pk}{url_tail},"thumbnailUrl":{thumb_head}{pk}{thumb_tail}}}'
        )
    return "[" + ",".join(out) + "]"


def items_page_response(view, items, *, project_id: int, anchor: int | None, extra: dict | None) -> HttpResponse:
    """One keyset page of the ``items`` queryset as ``{next, previous, results}`` (plus ``extra``)."""
    paginator = ItemPagination()
    paginator.anchor = anchor
    request = view.request
    try:
        page = paginator.paginate_queryset(_rows(items), request, view=view)
    except dql.QueryError as exc:
        raise exceptions.ValidationError({"filter": [str(exc)]})
    envelope = json.dumps(
        {"next": paginator.get_next_link(), "previous": paginator.get_previous_link(), "results": None, **(extra or {})}
    )
    head, tail = envelope.split('"results": null', 1)
    results = items_json(page, project_id=project_id, request=request)
    return HttpResponse(f'{head}"results": {results}{tail}'.encode(), content_type="application/json")
