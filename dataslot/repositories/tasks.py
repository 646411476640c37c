from __future__ import annotations

import datetime

from dataslot.client import dumps
from dataslot.entities.task import Task
from dataslot.filters import Filters
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities
from dataslot.repositories.base import Repository, need


class TasksRepository(Repository):
    """``project.tasks`` (or ``dl.tasks``, which only gets by id)."""

    entity, noun = Task, "tasks"

    def get(self, task_id=None, task_name: str | None = None) -> Task:
        return self._get(task_id, task_name)

    def list(self, filters: Filters | dict | None = None, page_size: int = DEFAULT_PAGE_SIZE) -> list[Task]:
        """The project's tasks (matching ``filters``) as a list, as dtlpy's ``tasks.list()`` is."""
        params = {"page_size": page_size}
        query = filters.prepare() if isinstance(filters, Filters) else filters
        if query:
            params["filter"] = dumps(query)
        return list(PagedEntities(self._client, self._path(), params, self._entity).all())

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
        return self._entity(self._client.post(self._path(), body))


def _date(value) -> str:
    """An ISO date from a date, datetime, ISO string or epoch seconds (dtlpy's habit)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, tz=datetime.UTC).date().isoformat()
    return str(value)
