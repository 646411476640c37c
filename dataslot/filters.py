"""``dl.Filters``: build a DQL query (docs/design.md "Slots and display scopes") the way dtlpy's Filters does.

An item query starts with dtlpy's defaults, ``{"hidden": false}`` and ``{"type": "file"}``,
so hidden items and folders are never selected by accident.

Beyond the query itself: ``context={"datasets": [...]}`` narrows it to datasets,
``page_size`` sizes the pages of a list, ``sort_by`` orders it, and ``add_join`` keeps the
items whose annotations match (or the annotations whose items match). The server's DQL
has no join: the SDK resolves it into an ``id``/``itemId`` condition with one listing of
the joined entities (see ``query_for``).
"""

from __future__ import annotations

import copy

from dataslot.client import dumps
from dataslot.enums import FiltersMethod, FiltersOperations, FiltersOrderByDirection, FiltersResource


class Filters:
    def __init__(
        self,
        field: str | None = None,
        values=None,
        operator=None,
        method=None,
        custom_filter: dict | None = None,
        resource=FiltersResource.ITEM,
        use_defaults: bool = True,
        context: dict | None = None,
        page_size: int | None = None,
    ):
        self.resource = FiltersResource(resource)
        self.and_filters: list[dict] = []
        self.or_filters: list[dict] = []
        self.custom_filter = custom_filter
        self.use_defaults = use_defaults
        self.context = context
        self.page_size = page_size
        self.sort: tuple[str, str] | None = None
        # add_join conditions on the other side (annotations of items, or items of annotations).
        self.join_filters: list[dict] = []
        self.join_or_filters: list[dict] = []
        if use_defaults and self.resource == FiltersResource.ITEM:
            self.and_filters += [{"hidden": False}, {"type": "file"}]
        if field is not None:
            self.add(field=field, values=values, operator=operator, method=method)

    def add(self, field: str, values, operator=None, method=None) -> Filters:
        """Add a condition; ``operator`` defaults to equality, ``method`` to AND."""
        condition = _condition(field, values, operator)
        if FiltersMethod(method or FiltersMethod.AND) == FiltersMethod.OR:
            self.or_filters.append(condition)
        else:
            self.and_filters.append(condition)
        return self

    def add_join(self, field: str, values, operator=None, method=FiltersMethod.AND) -> Filters:
        """Keep items that have an annotation matching the condition (on an item query), or
        annotations whose item matches it (on an annotation query)."""
        if self.resource not in (FiltersResource.ITEM, FiltersResource.ANNOTATION):
            raise ValueError(f"Cannot join to {self.resource.value} filters: only items and annotations join")
        condition = _condition(field, values, operator)
        if FiltersMethod(method or FiltersMethod.AND) == FiltersMethod.OR:
            self.join_or_filters.append(condition)
        else:
            self.join_filters.append(condition)
        return self

    def sort_by(self, field: str, value=FiltersOrderByDirection.ASCENDING) -> Filters:
        """Order a list by ``field`` (e.g. ``"name"``, ``"metadata.user.batch"``)."""
        self.sort = (field, str(FiltersOrderByDirection(value)))
        return self

    def pop(self, field: str) -> None:
        """Remove every condition on ``field`` (e.g. ``pop("hidden")`` to include hidden items)."""
        self.and_filters = [c for c in self.and_filters if field not in c]
        self.or_filters = [c for c in self.or_filters if field not in c]

    def has_field(self, field: str) -> bool:
        return any(field in c for c in self.and_filters + self.or_filters)

    def prepare(self) -> dict:
        """The DQL query as a dict, e.g. ``{"$and": [{"hidden": false}, {"type": "file"}]}``
        (with ``context``'s datasets; a join is resolved by ``query_for``)."""
        if self.custom_filter is not None:
            query = copy.deepcopy(self.custom_filter)
            conditions = [query] if query else []
        else:
            conditions = copy.deepcopy(self.and_filters)
            if self.or_filters:
                conditions.append({"$or": copy.deepcopy(self.or_filters)})
        datasets = (self.context or {}).get("datasets")
        if datasets:
            conditions.append({"datasetId": {"$in": [getattr(d, "id", d) for d in datasets]}})
        if self.custom_filter is not None and len(conditions) == 1:
            return conditions[0]
        return {"$and": conditions} if conditions else {}

    def join_query(self) -> dict | None:
        """The DQL of the joined side, or None without a join."""
        conditions = copy.deepcopy(self.join_filters)
        if self.join_or_filters:
            conditions.append({"$or": copy.deepcopy(self.join_or_filters)})
        return {"$and": conditions} if conditions else None

    def to_json(self) -> dict:
        return self.prepare()

    def __repr__(self) -> str:
        return f"Filters(resource={self.resource.value!r}, query={self.prepare()!r})"


def query_for(filters, client, project_id) -> dict:
    """The DQL to send for ``filters`` (a ``Filters``, a dict or None), a join resolved into
    ids with one listing of the joined entities of the project."""
    if not isinstance(filters, Filters):
        return filters or {}
    query = filters.prepare()
    join = filters.join_query()
    if join is None:
        return query
    if project_id is None:
        raise ValueError("A joined filter needs to know the project: list through project.datasets")
    if filters.resource == FiltersResource.ITEM:
        joined, key, own = "annotations", "itemId", "id"
    else:
        joined, key, own = "items", "id", "itemId"
        join = {"$and": [join, {"hidden": False}]}
    ids = sorted(
        {
            row[key]
            for page in client.iter_pages(
                f"/api/projects/{project_id}/{joined}/" if joined == "annotations" else _items_path(client, filters),
                {"filter": _dumps(join), "page_size": 1000},
            )
            for row in page
        }
    )
    condition = {own: {"$in": ids}}
    return {"$and": [query, condition]} if query else condition


def _items_path(client, filters) -> str:
    # Items are listed per dataset: an annotation query joins to items through its context.
    datasets = (filters.context or {}).get("datasets") or []
    if len(datasets) != 1:
        raise ValueError("An annotation filter joined to items needs context={'datasets': [dataset_id]}")
    return f"/api/datasets/{getattr(datasets[0], 'id', datasets[0])}/items/"


def _dumps(value) -> str:
    return dumps(value)


def _condition(field: str, values, operator) -> dict:
    op = FiltersOperations(operator or FiltersOperations.EQUAL)
    if op in (FiltersOperations.AND, FiltersOperations.OR):
        raise ValueError(f"{op.value!r} is a method, not an operator: use method=dl.FiltersMethod.{op.name}")
    if op == FiltersOperations.EQUAL:
        # Plain equality is written {field: value}, as dtlpy and the design's examples do.
        return {field: values}
    if op in (FiltersOperations.IN, FiltersOperations.NOT_IN) and not isinstance(values, list | tuple | set):
        values = [values]
    if isinstance(values, tuple | set):
        values = list(values)
    return {field: {f"${op.value}": values}}
