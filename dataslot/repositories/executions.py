from __future__ import annotations

from dataslot.entities.execution import Execution
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities
from dataslot.repositories.base import need


class ExecutionsRepository:
    """``project.executions`` / ``service.executions`` (or ``dl.executions``, by id only)."""

    def __init__(self, client, project=None, service=None):
        self._client = client
        self.project = project
        self.service = service

    def get(self, execution_id) -> Execution:
        return Execution(self._client.get(f"/api/executions/{execution_id}/"), self._client)

    def list(
        self, status=None, function_name: str | None = None, service_id=None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> PagedEntities:
        """The executions, page by page, filtered by status, function or service."""
        project_id = self.project.id if self.project is not None else getattr(self.service, "project_id", None)
        need(project_id, "This needs a project: use project.executions or service.executions")
        params = {"page_size": page_size}
        if self.service is not None and service_id is None:
            service_id = self.service.id
        for key, value in (("status", status), ("functionName", function_name), ("serviceId", service_id)):
            if value is not None:
                params[key] = str(value)
        client = self._client
        return PagedEntities(client, f"/api/projects/{project_id}/executions/", params, lambda j: Execution(j, client))

    def wait(self, execution_id, timeout: float | None = None) -> Execution:
        return self.get(execution_id).wait(timeout=timeout)

    def terminate(self, execution_id) -> Execution:
        return Execution({"id": execution_id}, self._client).terminate()
