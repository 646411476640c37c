"""``dl.Filters``: build a DQL query (design.md §4) the way dtlpy's Filters does.

An item query starts with dtlpy's defaults, ``{"hidden": false}`` and ``{"type": "file"}``,
so hidden items and folders are never selected by accident.
"""

from __future__ import annotations

import copy

from dataslot.enums import FiltersMethod, FiltersOperations, FiltersResource


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
    ):
        self.resource = FiltersResource(resource)
        self.and_filters: list[dict] = []
        self.or_filters: list[dict] = []
        self.custom_filter = custom_filter
        self.use_defaults = use_defaults
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

    def pop(self, field: str) -> None:
        """Remove every condition on ``field`` (e.g. ``pop("hidden")`` to include hidden items)."""
        self.and_filters = [c for c in self.and_filters if field not in c]
        self.or_filters = [c for c in self.or_filters if field not in c]

    def has_field(self, field: str) -> bool:
        return any(field in c for c in self.and_filters + self.or_filters)

    def prepare(self) -> dict:
        """The DQL query as a dict, e.g. ``{"$and": [{"hidden": false}, {"type": "file"}]}``."""
        if self.custom_filter is not None:
            return copy.deepcopy(self.custom_filter)
        conditions = copy.deepcopy(self.and_filters)
        if self.or_filters:
            conditions.append({"$or": copy.deepcopy(self.or_filters)})
        return {"$and": conditions} if conditions else {}

    def to_json(self) -> dict:
        return self.prepare()

    def __repr__(self) -> str:
        return f"Filters(resource={self.resource.value!r}, query={self.prepare()!r})"


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
