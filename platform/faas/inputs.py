"""Execution inputs: checked against the function's declared inputs, entities as references.

Input is keyed by input name (docs/design.md "Executions", docs/api.md). An entity may be given as a
reference object (``{"item_id": 7}``) or a bare id; it is stored as a full reference
after checking that it belongs to the service's project.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from workspace import references
from workspace.ids import parse_id
from workspace.models import Project


def _entity_ref(kind: str, value, *, project: Project, name: str) -> dict:
    key = references.kind_of(kind).key
    ident = parse_id(value.get(key, value.get("id")) if isinstance(value, dict) else value)
    if ident is None:
        raise ValidationError(
            {"input": f"'{name}' must be a {kind} reference such as {{\"{key}\": 7}}, got {value!r}."}
        )
    ref = references.reference_in_project(kind=kind, ident=ident, project=project)
    if not ref:
        raise ValidationError({"input": f"'{name}': {kind} {ident} does not exist in this project."})
    return ref


def _scalar(kind: str, value, name: str):
    ok = {
        "String": isinstance(value, str),
        "Boolean": isinstance(value, bool),
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "Number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "Json": True,
    }[kind]
    if not ok:
        raise ValidationError({"input": f"'{name}' must be of type {kind}, got {type(value).__name__} {value!r}."})
    return value


def _one(kind: str, value, *, project, name):
    if kind in references.BY_NAME:
        return _entity_ref(kind, value, project=project, name=name)
    return _scalar(kind, value, name)


def normalise_input(*, project: Project, function: dict, input: dict | None) -> dict:
    input = {} if input is None else input
    if not isinstance(input, dict):
        raise ValidationError({"input": "Must be an object keyed by the function's input names."})
    declared = {io["name"]: io for io in function["inputs"]}
    unknown = sorted(set(input) - set(declared))
    if unknown:
        raise ValidationError(
            {
                "input": f"Function '{function['name']}' has no input {', '.join(map(repr, unknown))} "
                f"(its inputs: {', '.join(declared) or 'none'})."
            }
        )
    result = {}
    for name, io in declared.items():
        if name not in input:
            if "value" in io and io["value"] is not None:
                result[name] = io["value"]
                continue
            raise ValidationError({"input": f"Function '{function['name']}' needs input '{name}' ({io['type']})."})
        value, kind = input[name], io["type"]
        if kind.endswith("[]"):
            if not isinstance(value, list):
                raise ValidationError({"input": f"'{name}' must be a list ({kind})."})
            result[name] = [_one(kind[:-2], v, project=project, name=name) for v in value]
        else:
            result[name] = _one(kind, value, project=project, name=name)
    return result


def entity_input_name(function: dict, resource: str) -> str | None:
    """The name of the function's input that takes an entity of ``resource`` (slots, batches)."""
    wanted = resource.capitalize()
    return next((io["name"] for io in function["inputs"] if io["type"].removesuffix("[]") == wanted), None)
