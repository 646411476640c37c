"""The limits of the replica protocol, shared by the replica and the server that reads it.

The channel is writable from inside a function, so the server checks every message
against these limits (and more); the replica keeps its own honest messages within them,
so that a large output or a long print fails or splits instead of being dropped.
"""

from __future__ import annotations

import json

MAX_MESSAGE_BYTES = 8 << 20  # one JSON line; a done carries the output
MAX_DEPTH = 100  # nesting of a message (the output's, plus the message around it)
LOG_CHUNK = 64 << 10  # characters of one log message: longer output is sent in parts
MAX_TEXT = 2000  # characters kept of a failure or progress message


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON can carry")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text} is out of range")
    return value


def loads_finite(text: str | bytes):
    """``json.loads`` refusing NaN, Infinity and numbers past a float's range (ValueError):
    what the server stores must be JSON that every reader can carry back."""
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


def depth(value, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest in a JSON value (counted up to ``limit + 1``)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                break
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, level + 1) for child in children)
    return deepest


def output_refusal(message: dict) -> str | None:
    """Why a ``done`` cannot be sent as it is (the execution then fails with this), or None."""
    try:
        size = len(json.dumps(message, allow_nan=False))
    except (ValueError, RecursionError) as exc:
        return f"The output cannot be stored as JSON: {exc}."
    if size > MAX_MESSAGE_BYTES - 1024:
        return f"The output is too large ({size} bytes of JSON; at most {MAX_MESSAGE_BYTES - 1024})."
    if depth(message) > MAX_DEPTH:
        return f"The output is nested more than {MAX_DEPTH - 1} levels deep."
    return None
