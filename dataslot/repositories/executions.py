from __future__ import annotations

from dataslot.entities.execution import Execution
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities
from dataslot.repositories.base import Repository, need


class ExecutionsRepository(Repository):
    """``project.executions`` / ``service.executions`` (or ``dl.executions``, by id only)."""

    entity, noun, scopes = Execution, "executions", ("project", "service")

    def get(self, execution_id) -> Execution:
        return self._get(execution_id)

    def list(
        self,
        filters=None,
        status=None,
        function_name: str | None = None,
        service_id=None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> PagedEntities:
        """The executions, newest first, page by page, filtered by status, function or
        service; or by a ``dl.Filters(resource=dl.FiltersResource.EXECUTION)`` of equalities
        on ``latestStatus.status`` (or ``status``), ``functionName``, ``serviceId``, ``triggerId``."""
        extra = _filter_params(filters)
        status = extra.pop("status", status)
        function_name = extra.pop("functionName", function_name)
        service_id = extra.pop("serviceId", service_id)
        project_id = self.project.id if self.project is not None else getattr(self.service, "project_id", None)
        need(project_id, "This needs a project: use project.executions or service.executions")
        params = {"page_size": page_size}
        if self.service is not None and service_id is None:
            service_id = self.service.id
        for key, value in (
            ("status", status),
            ("functionName", function_name),
            ("serviceId", service_id),
            *extra.items(),
        ):
            if value is not None:
                params[key] = str(value)
        return PagedEntities(self._client, f"/api/projects/{project_id}/executions/", params, self._entity)

    def wait(self, execution_id, timeout: float | None = None) -> Execution:
        return self.get(execution_id).wait(timeout=timeout)

    def terminate(self, execution_id) -> Execution:
        return Execution({"id": execution_id}, self._client).terminate()


_FILTER_FIELDS = {
    "latestStatus.status": "status",
    "status": "status",
    "functionName": "functionName",
    "serviceId": "serviceId",
    "triggerId": "triggerId",
}


def _filter_params(filters) -> dict:
    """Query parameters for the equalities of an execution filter; anything else is refused
    plainly (the executions list is not a DQL endpoint)."""
    if filters is None:
        return {}
    conditions = list(filters.and_filters) + list(filters.or_filters) if hasattr(filters, "and_filters") else [filters]
    params = {}
    for condition in conditions:
        for field, value in condition.items():
            if field not in _FILTER_FIELDS or isinstance(value, dict | list):
                raise ValueError(
                    f"Executions are filtered by equality on {', '.join(sorted(_FILTER_FIELDS))}; "
                    f"not by {field!r} = {value!r}"
                )
            params[_FILTER_FIELDS[field]] = value
    return params
