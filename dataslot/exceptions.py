"""Errors raised by the SDK: one base class, one subclass per HTTP status family.

Each carries the server's own words (``detail`` plus field messages) so a script's
traceback says what the server refused and why.
"""

from __future__ import annotations

import builtins


class DataslotError(Exception):
    """Base of every error the SDK raises."""

    status_code: int | None = None

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        errors: dict | None = None,
        method: str | None = None,
        url: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.errors = errors or {}
        self.method = method
        self.url = url

    def __str__(self) -> str:
        head = f"{self.status_code} " if self.status_code else ""
        text = head + (self.message or type(self).__name__)
        extra = [
            f"{field}: {msg}"
            for field, msgs in self.errors.items()
            for msg in _as_list(msgs)
            if f"{field}: {msg}" not in (self.message or "")
        ]
        if extra:
            text += " (" + "; ".join(extra) + ")"
        if self.method and self.url:
            text += f" [{self.method} {self.url}]"
        return text


class ConnectionError(DataslotError, builtins.ConnectionError):  # noqa: A001 - dtlpy-style name
    """The server could not be reached at all (refused, unresolvable host, timeout)."""


class BadRequest(DataslotError):
    status_code = 400


class Unauthorized(DataslotError):
    status_code = 401


class Forbidden(DataslotError):
    status_code = 403


class NotFound(DataslotError):
    status_code = 404


class Conflict(DataslotError):
    status_code = 409


class InternalError(DataslotError):
    status_code = 500


class ExecutionFailed(DataslotError):
    """``service.execute(sync=True)`` asked for an output, but the execution did not succeed."""

    def __init__(self, execution):
        status = execution.latest_status or {}
        super().__init__(f"Execution {execution.id} ended {execution.status}: {status.get('message') or 'no message'}")
        self.execution = execution


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def from_response(response) -> DataslotError:
    """The exception for an HTTP error response, with the server's message in it."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (InternalError if status >= 500 else DataslotError)
    detail, errors = None, {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail")
        errors = {k: v for k, v in body.items() if k != "detail"}
    elif isinstance(body, list):
        errors = {"non_field_errors": body}
    if isinstance(detail, list):
        detail = "; ".join(str(d) for d in detail)
    if not detail and not errors:
        text = (response.text or "").strip()
        detail = text[:500] if text and not text.lstrip().startswith("<") else response.reason
    request = response.request
    return cls(
        str(detail or ""),
        status_code=status,
        errors=errors,
        method=getattr(request, "method", None),
        url=getattr(request, "url", None),
    )
