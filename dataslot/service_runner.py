"""What a function sees inside a replica: the runner base class, progress and context.

Termination is cooperative and per executing thread (dtlpy's rule): ``kill_event()``
raises ``InterruptedError`` in the thread running an execution that was asked to
terminate. A function that never checks is stopped by force from outside.
"""

from __future__ import annotations

import logging
from typing import Any

from dataslot.client import default_client
from dataslot.execution_state import ExecutionState, current_execution
from dataslot.repositories.projects import ProjectsRepository


class BaseServiceRunner:
    """Subclass this in a package's entry point (default class name ``ServiceRunner``)."""

    def kill_event(self) -> None:
        """A checkpoint: raises if the execution running in this thread must stop."""
        state = current_execution()
        if state is not None and state.terminate.is_set():
            raise InterruptedError("Execution received termination signal")


class Progress:
    """``progress.update(progress=40, message='...')``: percent 0-100, shown live.

    Updates are cheap to call often; the server keeps at most ten a second.
    """

    def __init__(self, state: ExecutionState | None = None):
        self._state = state

    def update(
        self,
        status: str | None = None,
        progress: float = 0,
        message: str | None = None,
        output: Any = None,
        action: str | None = None,
    ) -> None:
        if self._state is None:
            return
        percent = max(0, min(100, int(progress or 0)))
        self._state.send(
            {
                "op": "progress",
                "id": self._state.execution_id,
                "percent": percent,
                "message": "" if message is None else str(message),
            }
        )


class Context:
    """The execution's context: ids, and lazy access to its entities through the SDK."""

    def __init__(self, state: ExecutionState | None = None):
        info = state.info if state else {}
        self.execution_id = state.execution_id if state else None
        self.project_id = info.get("project_id")
        self.service_id = info.get("service_id")
        self.package_id = info.get("package_id")
        self.function_name = info.get("function_name")
        self.logger = logging.getLogger(f"dataslot.execution.{self.execution_id}")

    @property
    def project(self):
        return ProjectsRepository(default_client()).get(project_id=self.project_id)

    @property
    def service(self):
        return self.project.services.get(service_id=self.service_id)

    @property
    def package(self):
        return self.project.packages.get(package_id=self.package_id)

    @property
    def execution(self):
        return self.project.executions.get(execution_id=self.execution_id)
