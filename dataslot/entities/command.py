"""``dl.Command``: what ``service.execute_batch(...)`` returns, as in dtlpy.

Dataslot creates a batch's executions in the request itself, so the command has finished
when it is returned; ``wait()`` is there for dtlpy's scripts and returns at once. The
executions it created are ``command.executions`` (iterating the command gives them too).
"""

from __future__ import annotations

from dataslot.entities.base import BaseEntity
from dataslot.entities.execution import Execution


class CommandsStatus:
    # The one status a command has here: a batch the server refuses raises, it never fails later.
    SUCCESS = "success"


class Command(BaseEntity):
    __slots__ = ()

    @property
    def executions(self) -> list:
        """The executions the batch created, built from their ids (``execution.refresh()`` fetches one)."""
        service_id = self._json.get("serviceId")
        return [Execution({"id": i, "serviceId": service_id}, self.client) for i in self._json.get("executionIds", [])]

    def in_progress(self) -> bool:
        return self._json.get("status") != CommandsStatus.SUCCESS

    def wait(self, timeout=None, step=None, **ignored) -> Command:
        """The batch's executions exist already; this returns at once (dtlpy waits for them to be created)."""
        return self

    def __iter__(self):
        return iter(self.executions)

    def __len__(self) -> int:
        return len(self._json.get("executionIds", []))

    def __getitem__(self, index):
        return self.executions[index]

    def __repr__(self) -> str:
        return f"Command(status={self._json.get('status')!r}, executions={len(self)})"
