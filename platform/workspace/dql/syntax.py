"""DQL's syntax: operators, the entities' fields, the condition tree and the parser."""

import math
import operator
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import TextField, Value
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.utils.dateparse import parse_date, parse_datetime

MAX_DEPTH = 10
MAX_CLAUSES = 200

RANGE_OPERATORS = {"$gt": GreaterThan, "$gte": GreaterThanOrEqual, "$lt": LessThan, "$lte": LessThanOrEqual}
PYTHON_ORDER = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
OPERATORS = {"$eq", "$ne", "$in", "$nin", "$exists", *RANGE_OPERATORS}


class QueryError(ValueError):
    """A malformed query; ``path`` names the offending part, e.g. ``$and[1].metadata.x.$foo``.

    ``str()`` is the one text of the error everywhere (``path: message``, or the message
    alone when the whole query is wrong)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Field:
    orm: str  # the ORM lookup path; "" for item.filename, which is computed
    kind: str  # "number", "text", "bool", "datetime", "date", or "json" (a JSONField, queried by key path)
    indexed: bool = False  # a JSON field flattened into ItemMetadataValue (dql.index)


# DQL name (the API's camelCase JSON name) -> model field.
_COMMON = {
    "id": Field("id", "number"),
    "createdAt": Field("created_at", "datetime"),
    "metadata": Field("metadata", "json"),
}
FIELDS: dict[str, dict[str, Field]] = {
    "item": _COMMON
    | {name: Field(name, "text") for name in ("name", "dir", "type")}
    | {name: Field(name, "number") for name in ("width", "height", "size")}
    | {"filename": Field("", "text"), "hidden": Field("hidden", "bool"), "datasetId": Field("dataset_id", "number")}
    | {"metadata": Field("metadata", "json", indexed=True)},
    "annotation": _COMMON
    | {name: Field(name, "text") for name in ("type", "label", "source")}
    | {"creator": Field("created_by__username", "text"), "attributes": Field("attributes", "json")}
    | {"itemId": Field("item_id", "number"), "datasetId": Field("item__dataset_id", "number")},
    "task": _COMMON
    | {name: Field(name, "text") for name in ("name", "status")}
    | {"datasetId": Field("dataset_id", "number"), "dueDate": Field("due_date", "date")},
}


@dataclass(frozen=True)
class Wildcard:
    """A string operand with ``*``, matched as an anchored, case-sensitive regex."""

    text: str

    def regex(self, *, atomic: bool) -> str:
        """(?s), \\A and \\Z mean the same in Python's re and in PostgreSQL's AREs.

        Python's re backtracks, so "*a*a*a*b" would cost polynomial time in the number of
        stars: its ``atomic`` form commits each middle part to its leftmost place, which is
        always right for star-only patterns. PostgreSQL's engine needs no such help (and
        has no atomic groups).
        """
        first, *middle, last = (re.escape(part) for part in self.text.split("*"))
        if atomic:
            return rf"(?s)\A{first}" + "".join(rf"(?>.*?{part})" for part in middle) + rf".*{last}\Z"
        return r"(?s)\A" + ".*".join([first, *middle, last]) + r"\Z"


class WildcardPattern(Value):
    """A wildcard's regex as a query parameter, in the dialect of the backend's regex engine."""

    def __init__(self, wildcard: Wildcard) -> None:
        super().__init__(wildcard.regex(atomic=False), output_field=TextField())
        self.python_regex = wildcard.regex(atomic=True)

    def as_sqlite(self, compiler, connection, **extra_context):
        return "%s", [self.python_regex]  # Django's REGEXP function is Python's re


@dataclass(frozen=True)
class Condition:
    name: str  # the DQL field name, the record's key
    field: Field
    keys: tuple[str, ...]  # the path inside a JSON field
    op: str
    operand: Any  # $in/$nin: a tuple of values


@dataclass(frozen=True)
class Junction:
    op: str  # "$and" or "$or"
    children: tuple["Condition | Junction", ...]


Node = Condition | Junction


class Parser:
    """Validates a query dict against an entity's fields and builds its condition tree."""

    def __init__(self, entity: str) -> None:
        if entity not in FIELDS:
            raise ValueError(f"unknown DQL entity {entity!r}; expected one of {sorted(FIELDS)}")
        self.fields = FIELDS[entity]
        self.clauses = 0

    def parse(self, query: dict) -> Junction:
        return self._object(query, path="", depth=0)

    def _count(self, path: str) -> None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QueryError(path, f"too many clauses (at most {MAX_CLAUSES})")

    def _object(self, query: Any, *, path: str, depth: int) -> Junction:
        if not isinstance(query, dict):
            raise QueryError(path or "query", "must be a JSON object")
        children: list[Node] = []
        for key, value in query.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str):  # only a dict built in Python can have these
                raise QueryError(where, "a field name must be a string")
            if key in ("$and", "$or"):
                children.append(self._junction(key, value, path=where, depth=depth + 1))
            elif key.startswith("$"):
                raise QueryError(where, "unknown operator (only $and and $or combine sub-queries)")
            else:
                children.extend(self._field(key, value, path=where))
        return Junction("$and", tuple(children))

    def _junction(self, op: str, value: Any, *, path: str, depth: int) -> Junction:
        if depth > MAX_DEPTH:
            raise QueryError(path, f"nested too deeply (at most {MAX_DEPTH} levels of $and/$or)")
        if not isinstance(value, list) or not value:
            raise QueryError(path, "must be a non-empty list of queries")
        self._count(path)
        return Junction(op, tuple(self._object(q, path=f"{path}[{i}]", depth=depth) for i, q in enumerate(value)))

    def _field(self, name: str, value: Any, *, path: str) -> list[Condition]:
        root, _, rest = name.partition(".")
        field = self.fields.get(root)
        if field is None or (rest and field.kind != "json"):
            known = [f"{n}.<path>" if f.kind == "json" else n for n, f in sorted(self.fields.items())]
            raise QueryError(path, f"unknown field; expected one of {', '.join(known)}")
        keys = self._keys(rest, path=path) if field.kind == "json" else ()
        bare = not isinstance(value, dict)  # a bare value means $eq; its errors name the field
        if bare:
            value = {"$eq": value}
        elif not value:
            raise QueryError(path, "empty operator object")
        conditions = []
        for op, operand in value.items():
            where = path if bare else f"{path}.{op}"
            if op not in OPERATORS:
                raise QueryError(where, f"unknown operator; expected one of {', '.join(sorted(OPERATORS))}")
            self._count(where)
            conditions.append(Condition(root, field, keys, op, self._operand(op, operand, field.kind, where)))
        return conditions

    def _keys(self, rest: str, *, path: str) -> tuple[str, ...]:
        if not rest:
            raise QueryError(path, "name a key inside the object, e.g. metadata.system.mimetype")
        keys = tuple(rest.split("."))
        for key in keys:
            if not key or _is_int(key) or any(c in key for c in '"\\') or not key.isprintable():
                # Integer keys are array indexes in some backends and object keys in
                # others, and SQLite's JSON paths cannot quote '"' or '\'.
                raise QueryError(path, f"unsupported key {key!r} in the path")
        return keys

    def _operand(self, op: str, operand: Any, kind: str, path: str) -> Any:
        if op == "$exists":
            if not isinstance(operand, bool):
                raise QueryError(path, "must be true or false")
            return operand
        if op in ("$in", "$nin"):
            if not isinstance(operand, list):
                raise QueryError(path, "must be a list of values")
            for i in range(len(operand)):
                self._count(f"{path}[{i}]")
            return tuple(self._scalar(v, kind, f"{path}[{i}]", ordered=False) for i, v in enumerate(operand))
        return self._scalar(operand, kind, path, ordered=op in RANGE_OPERATORS)

    def _scalar(self, value: Any, kind: str, path: str, *, ordered: bool) -> Any:
        """The operand in the field's terms; ``ordered`` for $gt/$gte/$lt/$lte."""
        if value is None and not ordered:
            return None
        if isinstance(value, str) and "\x00" in value:
            raise QueryError(path, "a string cannot contain NUL")
        if kind == "json":
            if isinstance(value, str):
                return Wildcard(value) if "*" in value and not ordered else value
            if _is_number(value) or (isinstance(value, bool) and not ordered):
                return value
            raise QueryError(
                path, "must be a number or a string" if ordered else "must be a string, number, boolean or null"
            )
        if kind == "text" and isinstance(value, str):
            return Wildcard(value) if "*" in value and not ordered else value
        if kind == "number" and _is_number(value):
            return value
        if kind == "bool" and isinstance(value, bool):
            if ordered:
                raise QueryError(path, "cannot order booleans")
            return value
        if kind in ("datetime", "date") and isinstance(value, str):
            parsed = to_moment(value, kind)
            if parsed is not None:
                return parsed
        expected = {"text": "a string", "number": "a number", "bool": "true or false"}
        raise QueryError(path, f"must be {expected.get(kind, f'an ISO 8601 {kind}')}")


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and -(2**63) <= value < 2**63  # what SQLite can store


def to_moment(value: Any, kind: str) -> date | datetime | None:
    """An ISO 8601 date (kind "date") or an aware date-time (UTC when naive; a bare date
    is its midnight); None when it is neither."""
    if isinstance(value, str):
        try:
            if kind == "date":
                return parse_date(value)
            day = parse_date(value)
            value = parse_datetime(value) or (datetime.combine(day, time()) if day else None)
        except ValueError:  # well-formed but impossible, e.g. 2024-02-30
            return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
