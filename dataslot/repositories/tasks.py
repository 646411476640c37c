from __future__ import annotations

import datetime

from dataslot.client import dumps
from dataslot.entities.task import Task
from dataslot.filters import Filters
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities
from dataslot.repositories.base import need, one_by_name


class TasksRepository:
    """``project.tasks`` (or ``dl.tasks``, which only gets by id)."""

    def __init__(self, client, project=None):
        self._client = client
        self.project = project

    def _path(self) -> str:
        need(self.project, "This needs a project: use project.tasks")
        return f"/api/projects/{self.project.id}/tasks/"

    def get(self, task_id=None, task_name: str | None = None) -> Task:
        if task_id is not None:
            return Task(self._client.get(f"/api/tasks/{task_id}/"), self._client)
        need(task_name, "tasks.get needs task_id or task_name")
        return one_by_name(self.list(), task_name, "Task", f" in project {self.project.name!r}")

    def list(self, filters: Filters | dict | None = None, page_size: int = DEFAULT_PAGE_SIZE) -> list[Task]:
        """The project's tasks (matching ``filters``) as a list, as dtlpy's ``tasks.list()`` is."""
        params = {"page_size": page_size}
        query = filters.prepare() if isinstance(filters, Filters) else filters
        if query:
            params["filter"] = dumps(query)
        client = self._client
        return list(PagedEntities(client, self._path(), params, lambda j: Task(j, client)).all())

    def create(
        self,
        task_name: str,
        dataset=None,
        dataset_id=None,
        due_date=None,
        assignee_ids=None,
        filters: Filters | dict | None = None,
        items=None,
    ) -> Task:
        """A task over the items ``filters`` selects (default: every item of the dataset)
        or over an explicit list of ``items`` (entities or ids). ``assignee_ids`` are usernames."""
        dataset_id = dataset_id if dataset_id is not None else getattr(dataset, "id", None)
        need(dataset_id, "tasks.create needs dataset or dataset_id")
        body = {"datasetId": dataset_id, "name": task_name, "assignees": list(assignee_ids or [])}
        if due_date is not None:
            body["dueDate"] = _date(due_date)
        if items is not None:
            body["itemIds"] = [getattr(i, "id", i) for i in items]
        else:
            query = filters.prepare() if isinstance(filters, Filters) else filters
            body["query"] = query if query is not None else Filters().prepare()
        return Task(self._client.post(self._path(), body), self._client)


def _date(value) -> str:
    """An ISO date from a date, datetime, ISO string or epoch seconds (dtlpy's habit)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, tz=datetime.UTC).date().isoformat()
    return str(value)
