"""The studio opened from a task: the task's name and progress, previous/next within the
task's items, the next unfinished one, and whether this item is done.

Each is one indexed query on ``TaskItem (task, item)``: no COUNT and no OFFSET, so a
task of 100,000 items costs what a task of ten does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from workspace.ids import parse_id
from workspace.models import Item, Project, Task, TaskItem
from workspace.selectors.tasks import task_get_for_user


@dataclass(frozen=True)
class TaskWork:
    task: Task
    done: bool
    previous_id: int | None
    next_id: int | None
    next_unfinished_id: int | None  # after this item, else from the task's start; never this item


def task_work_get(*, user, project: Project, item: Item, task_id) -> tuple[TaskWork | None, str]:
    """The task context for ``?task=``, or ``(None, message)`` when the item is not in that task.

    A task of another project (or none) is a 404, like every object the user cannot see.
    """
    task_id = parse_id(task_id)
    if task_id is None:
        raise Http404("No such task.")
    task = task_get_for_user(user=user, task_id=task_id)
    if task.dataset.project_id != project.pk:
        raise Http404("No such task in this project.")
    rows = TaskItem.objects.filter(task_id=task.pk)
    done = rows.filter(item_id=item.pk).values_list("done", flat=True).first()
    if done is None:
        return None, f"This item is not part of task “{task.name}”; previous and next walk the dataset."
    previous_id = rows.filter(item_id__lt=item.pk).order_by("-item_id").values_list("item_id", flat=True).first()
    next_id = rows.filter(item_id__gt=item.pk).order_by("item_id").values_list("item_id", flat=True).first()
    unfinished = rows.filter(done=False).exclude(item_id=item.pk).order_by("item_id").values_list("item_id", flat=True)
    next_unfinished_id = unfinished.filter(item_id__gt=item.pk).first() or unfinished.first()
    work = TaskWork(
        task=task, done=done, previous_id=previous_id, next_id=next_id, next_unfinished_id=next_unfinished_id
    )
    return work, ""
