"""Reads for the tasks browser and a task's page, in a fixed number of queries.

Membership comes from ``workspace.selectors`` (a non-member gets 404, so ids do not
leak). Lists are keyset pages over ids: ``after``/``before`` an id, never an OFFSET or a
COUNT, so a page costs the same at item 10 and at item 100,000.
"""

from __future__ import annotations

import json

from django.http import Http404

from workspace.models import Task
from workspace.selectors.paging import keyset_page
from workspace.selectors.projects import project_get_for_user
from workspace.selectors.tasks import task_get_for_user, task_items, tasks_for_project

TASKS_PAGE_SIZE = 50
TASK_ITEMS_PAGE_SIZE = 48


def tasks_page(*, user, project_id, after=None, before=None, show: str | None = None) -> dict:
    """A page of the project's tasks; ``show="mine"`` keeps those assigned to ``user``.

    An annotator's page shows "My tasks" unless asked for all: that is their day's work.
    """
    project = project_get_for_user(user=user, project_id=project_id)
    if show not in ("mine", "all"):
        show = "mine" if project.role == "annotator" else "all"
    tasks = tasks_for_project(project=project)
    if show == "mine":
        tasks = tasks.filter(assignees=user)
    page = keyset_page(tasks, after=after, before=before, size=TASKS_PAGE_SIZE, restart_when_empty=True)
    return {"project": project, "role": project.role, "tasks": page.rows, "page": page, "show": show}


def task_page(*, user, project_id, task_id, after=None, before=None) -> dict:
    project = project_get_for_user(user=user, project_id=project_id)
    task: Task = task_get_for_user(user=user, task_id=task_id)
    if task.dataset.project_id != project.pk:
        raise Http404("No such task in this project.")
    page = keyset_page(
        task_items(task=task), after=after, before=before, size=TASK_ITEMS_PAGE_SIZE, restart_when_empty=True
    )
    # Previous/next in the studio walk the items the task was made from, when it has a query.
    filter_query = json.dumps(task.query, separators=(",", ":")) if task.query else ""
    return {
        "project": project,
        "role": project.role,
        "task": task,
        "items": page.rows,
        "page": page,
        "filter_query": filter_query,
    }
