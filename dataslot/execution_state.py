"""Which execution the current thread runs inside a replica: set by the replica
(``dataslot.runtime.replica``), read by the runner's helpers (``dataslot.service_runner``)
and by the SDK's repositories (an annotation drawn there is the function's work)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

_current = threading.local()


@dataclass
class ExecutionState:
    """The replica's record of one running execution (set for its thread)."""

    execution_id: int
    send: Callable[[dict], None]
    terminate: threading.Event = field(default_factory=threading.Event)
    info: dict = field(default_factory=dict)
    # Output not yet ended by a newline: logs are sent a whole line at a time.
    pending_output: str = ""


def current_execution() -> ExecutionState | None:
    return getattr(_current, "state", None)


def set_current_execution(state: ExecutionState | None) -> None:
    _current.state = state
