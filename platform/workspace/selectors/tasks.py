"""Reads of tasks and of their items."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, QuerySet
from django.http import Http404

from workspace import dql
from workspace.models import Item, Project, Task
from workspace.selectors.items import ITEM_LIST_FIELDS
from workspace.selectors.projects import check_role


def tasks_for_project(*, project: Project, filter: dict | None = None) -> QuerySet[Task]:
    tasks = Task.objects.filter(dataset__project_id=project.pk)
    if filter:
        tasks = dql.filter_queryset("task", tasks, filter)
    return tasks.select_related("dataset").prefetch_related("assignees").order_by("id")


def task_get_for_user(*, user, task_id, roles: Iterable[str] | None = None) -> Task:
    try:
        task = Task.objects.select_related("dataset").prefetch_related("assignees").get(pk=int(task_id))
    except (Task.DoesNotExist, TypeError, ValueError):
        raise Http404("No such task.")
    task.role = check_role(user=user, project_id=task.dataset.project_id, roles=roles)
    return task


def task_items(*, task: Task) -> QuerySet[Item]:
    """The task's items in id order, each with ``.done``."""
    return (
        Item.objects.filter(task_items__task_id=task.pk)
        .only(*ITEM_LIST_FIELDS)
        .annotate(done=F("task_items__done"))
        .order_by("id")
    )


def task_item_get(*, task: Task, item_id) -> Item:
    try:
        return Item.objects.get(pk=int(item_id), task_items__task_id=task.pk)
    except (Item.DoesNotExist, TypeError, ValueError):
        raise Http404("No such item in this task.")
