"""DQL in memory: a condition tree evaluated on an entity's API JSON."""

import json
import re
from typing import Any

from workspace.dql.syntax import PYTHON_ORDER, RANGE_OPERATORS, Condition, Junction, Node, Wildcard, to_moment

# -- In memory ------------------------------------------------------------------------

_MISSING = object()


def json_type(value: Any) -> str:
    if value is _MISSING:
        return "missing"
    if isinstance(value, bool):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), "missing")


def evaluate(node: Node, *, record: dict) -> bool:
    if isinstance(node, Junction):
        results = (evaluate(child, record=record) for child in node.children)
        return all(results) if node.op == "$and" else any(results)
    if node.keys:
        actual = record.get(node.name, _MISSING)
        for key in node.keys:
            actual = actual.get(key, _MISSING) if isinstance(actual, dict) else _MISSING
        kind = json_type(actual)
    else:
        actual = _field_value(node, record)
        kind = None  # a model field: the operand was checked against the field's kind
    if node.op == "$exists":
        return node.operand if kind is None else node.operand == (kind != "missing")
    if node.op in RANGE_OPERATORS:
        if kind is not None and kind != ("string" if isinstance(node.operand, str) else "number"):
            return False
        return actual is not None and PYTHON_ORDER[node.op](actual, node.operand)
    values = node.operand if node.op in ("$in", "$nin") else (node.operand,)
    found = any(_equals(kind, actual, value) for value in values)
    return not found if node.op in ("$ne", "$nin") else found


def _equals(kind: str | None, actual: Any, value: Any) -> bool:
    if kind is not None:  # a JSON value: the types must agree first
        if value is None:
            return kind in ("null", "missing")
        if isinstance(value, bool):
            return kind == json.dumps(value)
        expected = "string" if isinstance(value, str | Wildcard) else "number"
        if kind != expected:
            return False
    if isinstance(value, Wildcard):
        return isinstance(actual, str) and re.search(value.regex(atomic=True), actual) is not None
    if value is None:
        return actual is None
    return actual is not None and actual == value


def _field_value(node: Condition, record: dict) -> Any:
    if node.name == "filename" and "filename" not in record:
        return record.get("dir", "/").rstrip("/") + "/" + record.get("name", "")
    value = record.get(node.name)
    return to_moment(value, node.field.kind) if node.field.kind in ("datetime", "date") else value
