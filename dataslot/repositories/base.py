"""Small helpers shared by the repositories."""

from __future__ import annotations

from dataslot import exceptions


def one_by_name(entities, name: str, kind: str, where: str = ""):
    """The entity called ``name`` among ``entities``, or a ``NotFound`` that says so."""
    match = next((e for e in entities if e._json.get("name") == name), None)
    if match is None:
        raise exceptions.NotFound(f"{kind} not found: {name!r}{where}")
    return match


def need(value, message: str):
    if value is None:
        raise ValueError(message)
    return value


def results(body) -> list:
    """A list endpoint's rows, whether it answered a plain array or one page."""
    return body if isinstance(body, list) else (body or {}).get("results") or []
