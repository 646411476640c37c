"""DQL on an item's metadata through the flattened-metadata table (``ItemMetadataValue``).

Every key of every item's metadata is a row (path, kind, number | text), indexed by
(path, kind, text) and (path, number), kept by triggers (migration 0002). A condition on
``metadata.<path>`` becomes a set of item ids read from that index, so it costs what it
matches, not the size of the dataset. Semantics are those of ``dql.sql`` and
``dql.memory``: a value matches only values of its JSON type, ``null`` equals missing, and
``$ne``/``$nin`` also match a missing key.

How the set joins the item query depends on its size, which one bounded count on the
index tells (at most ``DRIVE_LIMIT`` index entries read):
- a set smaller than ``DRIVE_LIMIT`` drives: ``id IN (SELECT item_id ...)`` reads it whole
  (cheap, it is small) and fetches those items by primary key;
- a larger set is probed: ``EXISTS (... WHERE item_id = item.id)`` while the page walks the
  dataset's items in id order, and since at least ``DRIVE_LIMIT`` items match, a page of
  100 needs at most ``100 * items / DRIVE_LIMIT`` probes on the (item_id, path) index;
- a negation (``$ne``, ``$nin``, ``$exists: false``, ``null``) is always probed.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.lookups import Regex

from workspace.dql.syntax import RANGE_OPERATORS, Condition, Wildcard, WildcardPattern
from workspace.models import ItemMetadataValue

# Up to this many matching index entries, a condition's ids are read whole (see above).
DRIVE_LIMIT = 20_000
# Set while compiling a count: every positive set drives, since a count reads all matches anyway.
_always_drive: ContextVar[bool] = ContextVar("always_drive", default=False)


@contextmanager
def driving_every_set():
    token = _always_drive.set(True)
    try:
        yield
    finally:
        _always_drive.reset(token)


def path_key(keys: tuple[str, ...]) -> str:
    """The flattened table's ``path`` for a key path, in the database's own spelling."""
    return _path_key(connection.vendor, tuple(keys))


@lru_cache(maxsize=4096)
def _path_key(vendor: str, keys: tuple[str, ...]) -> str:
    if vendor == "postgresql":
        return json.dumps(list(keys), ensure_ascii=False)  # jsonb's text form of the array of keys
    # SQLite names a node by json_tree's fullkey: asked of SQLite itself, so it is spelled
    # exactly as the trigger stored it (quoting rules differ between SQLite versions).
    nested: object = 0
    for key in reversed(keys):
        nested = {key: nested}
    with connection.cursor() as cursor:
        cursor.execute("SELECT fullkey FROM json_tree(%s) ORDER BY id DESC LIMIT 1", [json.dumps(nested)])
        return cursor.fetchone()[0]


def _rows(node: Condition) -> QuerySet:
    return ItemMetadataValue.objects.filter(path=path_key(node.keys))


def _driven(rows: QuerySet) -> Q:
    """Items with a row in ``rows``, joined the cheaper way for its size."""
    if _always_drive.get() or rows[:DRIVE_LIMIT].count() < DRIVE_LIMIT:
        return Q(pk__in=rows.values("item_id"))
    return _probed(rows)


class _Probe(Expression):
    """``EXISTS`` tried per item, on the (item_id, path) index. Written out because each
    planner would otherwise undo it: SQLite, seeing a covering index on the value, seeks
    every ``$in`` value once per item (so the index is named); PostgreSQL turns an
    ``EXISTS`` into a join that sorts every match first (``OFFSET 0`` keeps it a probe)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, rows: QuerySet) -> None:
        super().__init__()
        self.rows = rows

    def as_sql(self, compiler, connection):
        sql, params = self.rows.values("id").query.sql_with_params()
        table = connection.ops.quote_name(self.rows.model._meta.db_table)
        outer = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        if connection.vendor == "sqlite":
            sql = sql.replace(f"FROM {table}", f"FROM {table} INDEXED BY item_metadata_item", 1)
            return f"EXISTS ({sql} AND {table}.item_id = {outer}.id)", params
        return f"EXISTS ({sql} AND {table}.item_id = {outer}.id OFFSET 0)", params


def _probed(rows: QuerySet) -> Q:
    return Q(_Probe(rows))


def _sets(node: Condition) -> tuple[list[QuerySet], bool, bool]:
    """The condition as sets of rows whose items match (disjoint: one row per item and
    path), whether the condition is their negation, and whether ``null`` (= missing) is
    among its values."""
    rows = _rows(node)
    if node.op == "$exists":
        return [rows], not node.operand, False
    if node.op in RANGE_OPERATORS:
        return [_bounded(rows, [node])], False, False
    values = node.operand if node.op in ("$in", "$nin") else (node.operand,)
    texts = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    kinds = [json.dumps(v) for v in values if isinstance(v, bool)]
    sets = []
    if texts:
        sets.append(rows.filter(kind="string", **({"text__in": texts} if len(texts) > 1 else {"text": texts[0]})))
    if numbers:
        sets.append(rows.filter(**({"number__in": numbers} if len(numbers) > 1 else {"number": numbers[0]})))
    if kinds:
        sets.append(rows.filter(kind__in=kinds))
    for wildcard in (v for v in values if isinstance(v, Wildcard)):
        sets.append(rows.filter(Regex(F("text"), WildcardPattern(wildcard)), kind="string"))
    return sets, node.op in ("$ne", "$nin"), any(v is None for v in values)


def _bounded(rows: QuerySet, nodes: list[Condition]) -> QuerySet:
    """Rows within every bound of ``nodes`` (range conditions on one path, of one type)."""
    if isinstance(nodes[0].operand, str):
        rows = rows.filter(kind="string")
    for node in nodes:
        column = "text" if isinstance(node.operand, str) else "number"
        rows = rows.filter(**{f"{column}__{node.op[1:]}": node.operand})
    return rows


def range_groups(nodes: list[Condition]) -> list[list[Condition]]:
    """Range conditions AND-ed on the same path with operands of the same type, grouped:
    ``{"$gte": 1, "$lt": 2}`` is one index range, not two half-open ones."""
    groups: dict[tuple, list[Condition]] = {}
    for node in nodes:
        groups.setdefault((node.keys, isinstance(node.operand, str)), []).append(node)
    return list(groups.values())


def range_q(nodes: list[Condition]) -> Q:
    return _driven(_bounded(_rows(nodes[0]), nodes))


def count_range_in_index(nodes: list[Condition], *, dataset_id: int, limit: int) -> int:
    return _bounded(_rows(nodes[0]), nodes).filter(dataset_id=dataset_id)[:limit].count()


def metadata_q(node: Condition) -> Q:
    """The condition as a Q on ``Item`` (never SQL NULL)."""
    sets, negated, with_null = _sets(node)
    if node.op == "$exists":
        return ~_probed(sets[0]) if negated else _driven(sets[0])
    parts = [(_probed(s) if negated else _driven(s)) for s in sets]
    if with_null:  # null equals missing: no value other than null at the path
        parts.append(~_probed(_rows(node).exclude(kind="null")))
    q = parts[0] if parts else Q(pk__in=[])
    for part in parts[1:]:
        q |= part
    return ~q if negated else q


def count_in_index(node: Condition, *, dataset_id: int, limit: int) -> int | None:
    """How many of a dataset's items match a positive condition (at most ``limit``), counted
    in the index alone; None when the condition is a negation or involves ``null``."""
    sets, negated, with_null = _sets(node)
    if negated or with_null:
        return None
    total = 0
    for rows in sets:
        total += rows.filter(dataset_id=dataset_id)[: max(limit - total, 0)].count()
    return total
