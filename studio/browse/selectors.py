"""Reads for the dataset browser, each in a fixed number of queries.

A page of items is one indexed range scan on ``(dataset_id, id)`` (keyset, no COUNT, no
OFFSET) plus one query for those items' annotations, which feeds both the thumbnails'
overlays and the table's annotation counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from studio.shapes import Shape, svg_shape
from workspace import dql
from workspace.ids import parse_id
from workspace.models import Annotation, Dataset, Item, Project
from workspace.selectors.items import items_list
from workspace.selectors.paging import first_rows, keyset_page
from workspace.selectors.projects import dataset_get_for_user, project_get_for_user

ITEMS_PER_PAGE = 60
# An overlay is a hint of what is annotated, not the studio: a few shapes per thumbnail.
OVERLAY_SHAPES = 40

# Choices of the simple mimetype filter. A fixed list: listing the values in use would
# be a DISTINCT over a JSON column, which is what makes browsers slow at scale.
MIMETYPES = [
    ("", "Any type"),
    ("image/*", "Any image"),
    ("image/jpeg", "JPEG"),
    ("image/png", "PNG"),
    ("image/gif", "GIF"),
    ("image/webp", "WebP"),
    ("image/bmp", "BMP"),
    ("image/tiff", "TIFF"),
]


class FilterError(ValueError):
    """The browser's filter cannot be used; ``str()`` is the message the page shows."""


# --- the browser's filter ----------------------------------------------------------


@dataclass(frozen=True)
class BrowseFilter:
    name: str = ""
    dir: str = ""
    mimetype: str = ""
    dql_text: str = ""

    @classmethod
    def from_params(cls, params) -> BrowseFilter:
        return cls(
            name=params.get("name", "").strip(),
            dir=params.get("dir", "").strip(),
            mimetype=params.get("mimetype", "").strip(),
            dql_text=params.get("filter", "").strip(),
        )

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.dir or self.mimetype or self.dql_text)

    def query(self) -> dict:
        """One DQL query: the simple fields and the DQL box, all of which must match.

        Raises ``FilterError`` with a readable message for a malformed DQL box.
        """
        parts = []
        if self.name:
            # "contains": DQL has wildcards, not substrings, and no escape for a literal *.
            parts.append({"name": f"*{self.name.strip('*')}*"})
        if self.dir:
            parts.append({"dir": self.dir})
        if self.mimetype:
            parts.append({"metadata.system.mimetype": self.mimetype})
        try:
            typed = dql.parse(self.dql_text)
            if typed:
                parts.append(typed)
            query = parts[0] if len(parts) == 1 else ({"$and": parts} if parts else {})
            dql.compile_query("item", query)  # unknown fields and operators are found here
        except dql.QueryError as exc:
            raise FilterError(f"The filter is not valid DQL. {exc}")
        return query

    def params(self) -> dict:
        """The non-empty query parameters that reproduce this filter."""
        values = {"name": self.name, "dir": self.dir, "mimetype": self.mimetype, "filter": self.dql_text}
        return {k: v for k, v in values.items() if v}


# --- pages of items ----------------------------------------------------------------


@dataclass
class Tile:
    """A thumbnail: its item, its annotations' count and labels, and a few of their shapes
    (drawn by studio/browse/_overlay.html)."""

    item: Item
    annotation_count: int = 0
    shapes: list[Shape] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class ItemPage:
    tiles: list[Tile]
    next_cursor: int | None


def parse_cursor(value: str | None) -> int | None:
    """The cursor is the last id of the previous page (opaque to clients)."""
    if not value:
        return None
    if not value.isdigit():
        raise FilterError("The page cursor is not valid; reload the page.")
    return int(value)


def tiles_for(items: list[Item]) -> list[Tile]:
    """Items with their annotations' shapes: one query for the whole page, never one per item."""
    tiles = {item.pk: Tile(item) for item in items}
    rows = (
        Annotation.objects.filter(item_id__in=list(tiles))
        .order_by("item_id", "id")
        .values_list("item_id", "type", "label", "coordinates")
    )
    for item_id, kind, label, coordinates in rows:
        tile = tiles[item_id]
        tile.annotation_count += 1
        if kind == Annotation.Type.CLASSIFICATION:
            if label not in tile.labels:
                tile.labels.append(label)
        elif len(tile.shapes) < OVERLAY_SHAPES:
            point_radius = max(tile.item.width, tile.item.height) / 60
            shape = svg_shape(kind, coordinates, point_radius=point_radius)
            if shape is not None:
                tile.shapes.append(shape)
    return list(tiles.values())


# The table's sortable columns: ``?sort=name`` ascending, ``?sort=-name`` descending.
SORTS = {"name": "name", "size": "size", "created": "created_at", "annotations": "annotation_total"}


def parse_sort(value: str | None) -> str:
    """``""`` (id order) or one of ``SORTS``, optionally with a leading ``-``."""
    value = (value or "").strip()
    if value and value.lstrip("-") not in SORTS:
        raise FilterError(f"Items cannot be sorted by “{value[:40]}”: use one of {', '.join(SORTS)}.")
    return value


def _sorted_after(items: QuerySet, *, sort: str, cursor: int | None) -> QuerySet:
    """``items`` in ``sort`` order, after the row ``cursor`` (an item id): keyset paging on
    (column, id), so a page deep in a sorted list costs what the first one does."""
    descending, column = sort.startswith("-"), SORTS[sort.lstrip("-")]
    if column == "annotation_total":
        counts = Annotation.objects.filter(item_id=OuterRef("pk")).order_by().values("item_id")
        counts = counts.annotate(n=Count("id")).values("n")
        items = items.annotate(annotation_total=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))
    items = items.order_by(f"-{column}", "-id") if descending else items.order_by(column, "id")
    if cursor is None:
        return items
    key = items.filter(pk=cursor).values_list(column, flat=True).first()
    if key is None:
        raise FilterError("The page cursor is not valid; reload the page.")
    if descending:
        return items.filter(Q(**{f"{column}__lt": key}) | Q(**{column: key, "id__lt": cursor}))
    return items.filter(Q(**{f"{column}__gt": key}) | Q(**{column: key, "id__gt": cursor}))


def item_page(
    *, dataset: Dataset, query: dict, cursor: int | None, size: int = ITEMS_PER_PAGE, sort: str = ""
) -> ItemPage:
    items = items_list(dataset=dataset, filter=query or None)
    if sort:
        rows, more = first_rows(_sorted_after(items, sort=sort, cursor=cursor), size)
        return ItemPage(tiles=tiles_for(rows), next_cursor=rows[-1].pk if more else None)
    page = keyset_page(items, after=cursor, size=size)
    return ItemPage(tiles=tiles_for(page.rows), next_cursor=page.next_after)


UPLOADED_TILES_MAX = 100


def parse_item_ids(text: str) -> list[int]:
    """``?ids=1,2,3`` of the tiles an upload just made; at most ``UPLOADED_TILES_MAX``."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    ids = [parse_id(p) for p in parts]
    if not parts or None in ids:
        raise FilterError("ids must be a comma-separated list of item ids.")
    if len(ids) > UPLOADED_TILES_MAX:
        raise FilterError(f"At most {UPLOADED_TILES_MAX} items at once.")
    return sorted(set(ids))


def tiles_by_ids(*, dataset: Dataset, query: dict, ids: list[int]) -> list[Tile]:
    """The tiles of these items that match the browser's filter (just uploaded ones)."""
    items = items_list(dataset=dataset, filter=query or None).filter(pk__in=ids)
    return tiles_for(list(items))


def tile_get(*, dataset: Dataset, item_id: int) -> Tile:
    item = Item.objects.filter(dataset=dataset, pk=item_id).first()
    if item is None:
        raise Http404("No such item.")
    return tiles_for([item])[0]


def browser_context(*, user, project_id: int, dataset_id: int) -> tuple[Project, Dataset]:
    """The project and dataset of a browser URL; 404 unless the user is a member and they match."""
    project = project_get_for_user(user=user, project_id=project_id)
    dataset = dataset_get_for_user(user=user, dataset_id=dataset_id)
    if dataset.project_id != project.pk:
        raise Http404("No such dataset.")
    return project, dataset
