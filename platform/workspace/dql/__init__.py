"""DQL, Dataloop's JSON query language, for items, annotations and tasks.

A query is parsed once into a small tree of conditions, which is then either compiled to
a Django ``Q`` (``compile_query``) or evaluated on an entity's API JSON (``matches``).
Both read the same tree and follow the same rules, so a slot's display scope decides the
same way in the browser's selection check and in a batch query over the database:

- a JSON path compares only values of the operand's JSON type (``5`` never equals
  ``"5"`` or ``true``), numbers as numbers, strings by code point on every backend;
- ``$ne``/``$nin`` on a JSON path also match a missing key, and ``null`` equals missing;
- ``*`` in a string is a case-sensitive wildcard; there is no escape for a literal ``*``.
"""

from django.db.models import Q, QuerySet

from dataslot_server.parsers import load_json
from workspace.dql.index import count_in_index, count_range_in_index, driving_every_set, range_groups
from workspace.dql.memory import evaluate
from workspace.dql.sql import to_q
from workspace.dql.syntax import MAX_CLAUSES, MAX_DEPTH, RANGE_OPERATORS, Condition, Junction, Parser, QueryError

__all__ = [
    "MAX_CLAUSES",
    "MAX_DEPTH",
    "QueryError",
    "compile_query",
    "count_items",
    "driving_every_set",
    "filter_queryset",
    "matches",
    "parse",
]


def parse(query: str | dict | None) -> dict:
    """A query as a dict: JSON text is decoded; None and "" are the empty query."""
    if query is None or (isinstance(query, str) and not query.strip()):
        return {}
    if isinstance(query, str):
        try:
            query = load_json(query)
        except ValueError as error:
            raise QueryError("query", f"not valid JSON: {error}")
    if not isinstance(query, dict):
        raise QueryError("query", "must be a JSON object")
    return query


def compile_query(entity: str, query: str | dict | None) -> Q:
    """The query as a Q that is never SQL NULL, so ``exclude()`` selects exactly the rest."""
    return to_q(Parser(entity).parse(parse(query)))


def filter_queryset(entity: str, queryset: QuerySet, query: str | dict | None) -> QuerySet:
    return queryset.filter(compile_query(entity, query))


def matches(entity: str, query: str | dict | None, record: dict) -> bool:
    """Whether an entity's API JSON satisfies the query, decided as the database would."""
    return evaluate(Parser(entity).parse(parse(query)), record=record)


def count_items(query: str | dict | None, *, dataset_id: int, limit: int) -> int | None:
    """How many of a dataset's items match (at most ``limit``) when the index alone can
    tell: one positive condition on ``metadata.<path>``, or a range on one; None otherwise."""
    tree = Parser("item").parse(parse(query))
    while isinstance(tree, Junction) and len(tree.children) == 1 and isinstance(tree.children[0], Junction):
        tree = tree.children[0]
    nodes = list(tree.children) if isinstance(tree, Junction) and tree.op == "$and" else [tree]
    if not nodes or not all(isinstance(n, Condition) and n.keys and n.field.indexed for n in nodes):
        return None
    if len(nodes) == 1:
        return count_in_index(nodes[0], dataset_id=dataset_id, limit=limit)
    groups = range_groups(nodes) if all(n.op in RANGE_OPERATORS for n in nodes) else []
    if len(groups) == 1:
        return count_range_in_index(groups[0], dataset_id=dataset_id, limit=limit)
    return None
