"""DQL on the database: a condition tree compiled to a Django ``Q``."""

import json
from functools import reduce
from typing import Any

from django.db import NotSupportedError, connection
from django.db.models import BooleanField, CharField, F, Func, JSONField, Q, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform, compile_json_path
from django.db.models.functions import Concat
from django.db.models.lookups import Exact, In, Regex

from workspace.dql.index import metadata_q, range_groups, range_q
from workspace.dql.syntax import RANGE_OPERATORS, Condition, Field, Junction, Node, Wildcard, WildcardPattern

# -- The database ---------------------------------------------------------------------

ALWAYS = Q(pk__isnull=False)
NEVER = Q(pk__in=[])


class JSONType(Func):
    """The JSON type at a key path as one word on every backend: string, number, true,
    false, null, object, array, or missing."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("DQL JSON paths need PostgreSQL or SQLite")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        kind = f"jsonb_typeof({sql})"
        return f"CASE {kind} WHEN 'boolean' THEN ({sql})::text ELSE COALESCE({kind}, 'missing') END", (*params,) * 3

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params, keys = self.source_expressions[0].preprocess_lhs(compiler, connection)
        sql = (
            f"CASE JSON_TYPE({column}, %s) WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' "
            "WHEN 'text' THEN 'string' WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' "
            "WHEN 'object' THEN 'object' WHEN 'array' THEN 'array' ELSE 'missing' END"
        )
        return sql, (*params, compile_json_path(keys))


class CodePointOrder(Func):
    """Text ordered by code point, as Python and SQLite order it; PostgreSQL would use the
    database's locale."""

    template = "%(expressions)s"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template='(%(expressions)s) COLLATE "C"', **extra_context)


class SQLiteJSONTextEquals(Func):
    """``path == "text"`` with one JSON parse a row, where the general form takes three.

    Exact on SQLite: ``JSON_EXTRACT`` gives a string as TEXT, and TEXT never equals the
    INTEGER/REAL it gives numbers and booleans (neither side has an affinity); objects
    and arrays come back as JSON text, so values that could look like one (starting
    with ``{`` or ``[``) keep the general form. Never NULL, like every DQL condition.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, column, keys: tuple[str, ...], value: str):
        super().__init__(column)
        self.keys, self.value = keys, value

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"COALESCE(JSON_EXTRACT({sql}, %s) = %s, 0)", (*params, compile_json_path(self.keys), self.value)


def _filename() -> Concat:
    # Item.filename: dir without its trailing slashes, "/", name.
    trimmed = Func(F("dir"), Value("/"), function="RTRIM", output_field=CharField())
    return Concat(trimmed, Value("/"), F("name"), output_field=CharField())


def to_q(node: Node) -> Q:
    if isinstance(node, Junction):
        children = list(node.children)
        parts = []
        if node.op == "$and":  # ranges on one indexed path read one index range
            ranges = [c for c in children if _indexed_range(c)]
            children = [c for c in children if not _indexed_range(c)]
            parts = [range_q(group) for group in range_groups(ranges)]
        parts += [to_q(child) for child in children]
        if not parts:  # {} matches everything; Q() would vanish when combined and exclude nothing
            return ALWAYS
        return reduce(Q.__and__ if node.op == "$and" else Q.__or__, parts)
    if node.keys:
        return metadata_q(node) if node.field.indexed else _json_q(node)
    field = node.field
    if node.op == "$exists":
        return ALWAYS if node.operand else NEVER
    if node.op in RANGE_OPERATORS:
        if not field.orm:  # filename, never null
            return Q(RANGE_OPERATORS[node.op](CodePointOrder(_filename()), node.operand))
        if field.kind == "text":
            # The null test keeps the condition two-valued for a null creator.
            ordered = RANGE_OPERATORS[node.op](CodePointOrder(F(field.orm)), node.operand)
            return Q(**{f"{field.orm}__isnull": False}) & Q(ordered)
        return Q(**{f"{field.orm}__{node.op[1:]}": node.operand})
    values = node.operand if node.op in ("$in", "$nin") else (node.operand,)
    q = _any([_field_equals(field, value) for value in values])
    return ~q if node.op in ("$ne", "$nin") else q


def _indexed_range(node: Node) -> bool:
    return isinstance(node, Condition) and node.field.indexed and bool(node.keys) and node.op in RANGE_OPERATORS


def _any(parts: list[Q]) -> Q:
    return reduce(Q.__or__, parts) if parts else NEVER


def _field_equals(field: Field, value: Any) -> Q:
    if not field.orm:  # filename, never null
        if value is None:
            return NEVER
        if isinstance(value, Wildcard):
            return Q(Regex(_filename(), WildcardPattern(value)))
        return Q(Exact(_filename(), value))
    # Keyword lookups, so that Django's negation also matches NULLs (dueDate, creator).
    if value is None:
        return Q(**{f"{field.orm}__isnull": True})
    if isinstance(value, Wildcard):
        return Q(**{f"{field.orm}__regex": WildcardPattern(value)})
    return Q(**{field.orm: value})


def _json_q(node: Condition) -> Q:
    # An explicit output field, so that lookups prepare their operand as JSON before resolution.
    key = reduce(lambda lhs, name: KeyTransform(name, lhs, output_field=JSONField()), node.keys, node.field.orm)
    text = reduce(lambda lhs, name: KeyTextTransform(name, lhs), node.keys, node.field.orm)
    kind = JSONType(key)
    if node.op == "$exists":
        return ~Q(Exact(kind, "missing")) if node.operand else Q(Exact(kind, "missing"))
    if node.op in RANGE_OPERATORS:
        if isinstance(node.operand, str):
            return Q(Exact(kind, "string")) & Q(RANGE_OPERATORS[node.op](CodePointOrder(text), node.operand))
        return Q(Exact(kind, "number")) & Q(key.get_lookup(node.op[1:])(key, node.operand))
    values = node.operand if node.op in ("$in", "$nin") else (node.operand,)
    parts = []
    for value in values:
        # The type test comes first and is never NULL, so NOT (...) stays two-valued.
        if value is None:
            parts.append(Q(In(kind, ["null", "missing"])))
        elif isinstance(value, bool):
            parts.append(Q(Exact(kind, json.dumps(value))))
        elif isinstance(value, Wildcard):
            parts.append(Q(Exact(kind, "string")) & Q(Regex(text, WildcardPattern(value))))
        elif isinstance(value, str) and connection.vendor == "sqlite" and not value.startswith(("{", "[")):
            parts.append(Q(SQLiteJSONTextEquals(node.field.orm, tuple(node.keys), value)))
        elif isinstance(value, str):
            parts.append(Q(Exact(kind, "string")) & Q(Exact(text, value)))
        else:
            parts.append(Q(Exact(kind, "number")) & Q(key.get_lookup("exact")(key, value)))
    q = _any(parts)
    return ~q if node.op in ("$ne", "$nin") else q
