"""Reads for the executions pages and the drawer, each in a fixed number of queries:
keyset pages on ``(project, id)``, newest first, never an OFFSET or a COUNT."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from faas.enums import ExecutionStatus
from faas.models import Execution, Service
from workspace.ids import parse_id
from workspace.models import Project
from workspace.selectors.paging import keyset_page

EXECUTIONS_PER_PAGE = 50
DRAWER_ROWS = 20
LOG_LINES = 1000  # the tail an execution's page shows; the rest is in the API


@dataclass(frozen=True)
class ExecutionFilter:
    status: str = ""
    service_id: int | None = None
    function_name: str = ""

    @classmethod
    def from_params(cls, params) -> ExecutionFilter:
        status = params.get("status", "")
        service = params.get("service", "")
        return cls(
            status=status if status in ExecutionStatus.values else "",
            service_id=parse_id(service),
            function_name=params.get("function", "").strip(),
        )

    def apply(self, queryset):
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.service_id is not None:
            queryset = queryset.filter(service_id=self.service_id)
        if self.function_name:
            queryset = queryset.filter(function_name=self.function_name)
        return queryset

    def params(self) -> dict:
        values = {"status": self.status, "service": self.service_id or "", "function": self.function_name}
        return {k: v for k, v in values.items() if v}


def _executions(project: Project):
    return Execution.objects.filter(project=project).select_related("service", "creator", "worker").order_by("-id")


def executions_page(
    *, project: Project, filter: ExecutionFilter, cursor: int | None, size: int = EXECUTIONS_PER_PAGE
) -> tuple[list[Execution], int | None]:
    """Newest first, keyset on id: ``(project, id)`` is indexed."""
    page = keyset_page(filter.apply(_executions(project)), after=cursor, size=size, newest_first=True)
    return page.rows, page.next_after


def executions_latest(*, project: Project, ids: list[int] | None = None, size: int = DRAWER_ROWS) -> list[Execution]:
    executions = _executions(project)
    if ids is not None:
        executions = executions.filter(pk__in=ids)
    return list(executions[:size])


def execution_get(*, project: Project, execution_id: int) -> Execution:
    execution = _executions(project).filter(pk=execution_id).first()
    if execution is None:
        raise Http404("No such execution.")
    return execution


def execution_log_tail(*, execution: Execution) -> list[dict]:
    """The last ``LOG_LINES`` chunks of captured output, oldest first. A chunk is text as
    it was written (newlines included), not necessarily one line."""
    return list(execution.log_lines.order_by("-id").values("id", "text")[:LOG_LINES])[::-1]


def services_of(*, project: Project) -> list[Service]:
    return list(Service.objects.filter(project=project).order_by("name").only("id", "name"))
