"""Labelling tasks: a set of a dataset's items, chosen by a DQL query or by ids."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet

from live.events import project_group, publish_on_commit, studio_group
from workspace import dql
from workspace.events import entities_changed
from workspace.ids import is_id
from workspace.models import Dataset, Item, Task, TaskItem

_UNSET = object()
_BATCH = 5000


def _assignee_users(*, dataset: Dataset, assignees: Iterable) -> list:
    """Users from usernames or user objects; each must be a member of the dataset's project."""
    User = get_user_model()
    users, usernames = [], []
    for a in assignees or ():
        if isinstance(a, User):
            users.append(a)
        elif isinstance(a, str):
            usernames.append(a)
        else:
            raise ValidationError({"assignees": f"An assignee is a username, got {a!r}."})
    names = [u.username for u in users] + usernames
    # Looked up among the project's members only: a username that exists elsewhere and
    # one that exists nowhere get the same answer, so no member learns who else has an account.
    members = {
        u.username: u for u in User.objects.filter(username__in=names, memberships__project_id=dataset.project_id)
    }
    outsiders = [n for n in names if n not in members]
    if outsiders:
        raise ValidationError({"assignees": f"Not a member of this project: {', '.join(outsiders)}."})
    return [members[n] for n in names]


def _item_ids_for(*, dataset: Dataset, query, item_ids) -> list[int] | QuerySet:
    """The ids given (checked), or the query's items as a queryset (never read into Python)."""
    if (query is None) == (item_ids is None):
        raise ValidationError({"query": "Give either a DQL query or itemIds, not both and not neither."})
    items = Item.objects.filter(dataset=dataset)
    if query is not None:
        if not isinstance(query, dict):
            raise ValidationError({"query": "A DQL query is a JSON object."})
        try:
            with dql.driving_every_set():  # every match is read: each index set once, whole
                items = dql.filter_queryset("item", items, query)
        except dql.QueryError as exc:
            raise ValidationError({"query": str(exc)})
        return items
    if not isinstance(item_ids, (list, tuple)) or not all(is_id(i) for i in item_ids):
        raise ValidationError({"itemIds": "A list of item ids (integers)."})
    wanted = list(dict.fromkeys(item_ids))
    found = set()
    for start in range(0, len(wanted), _BATCH):
        found.update(items.filter(id__in=wanted[start : start + _BATCH]).values_list("id", flat=True))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationError({"itemIds": f"Not items of this dataset: {missing[:20]}."})
    return wanted


def _task_items_insert(*, task: Task, items: QuerySet) -> int:
    """The query's items into the task in one INSERT ... SELECT: a million rows never pass
    through Python. On SQLite (WAL) readers are never blocked by it; PostgreSQL neither."""
    select, params = items.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TaskItem._meta.db_table} (task_id, item_id, done) SELECT %s, id, %s FROM ({select}) AS chosen",
            [task.pk, False, *params],
        )
        return cursor.rowcount


def _task_name_free(*, dataset: Dataset, name: str, exclude_pk=None) -> None:
    if Task.objects.filter(dataset=dataset, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"A task named {name!r} already exists in this dataset."})


@transaction.atomic
def task_create(
    *,
    dataset: Dataset,
    name: str,
    query: dict | None = None,
    item_ids: list[int] | None = None,
    assignees: Iterable = (),
    due_date=None,
    user=None,
) -> Task:
    _task_name_free(dataset=dataset, name=name)
    ids = _item_ids_for(dataset=dataset, query=query, item_ids=item_ids)
    users = _assignee_users(dataset=dataset, assignees=assignees)
    task = Task(
        dataset=dataset,
        name=name,
        due_date=due_date,
        query=query or {},
        items_total=0 if isinstance(ids, QuerySet) else len(ids),
        items_done=0,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    task.full_clean()
    task.save()
    if isinstance(ids, QuerySet):
        task.items_total = _task_items_insert(task=task, items=ids)
        Task.objects.filter(pk=task.pk).update(items_total=task.items_total)
    else:
        TaskItem.objects.bulk_create([TaskItem(task=task, item_id=i) for i in ids], batch_size=_BATCH)
    task.assignees.set(users)
    entities_changed(project_id=dataset.project_id, resource="Task", action="Created", entities=[task], user=user)
    return task


@transaction.atomic
def task_update(*, task: Task, name=_UNSET, status=_UNSET, due_date=_UNSET, assignees=_UNSET, metadata=_UNSET) -> Task:
    if name is not _UNSET:
        _task_name_free(dataset=task.dataset, name=name, exclude_pk=task.pk)
        task.name = name
    status_changed = status is not _UNSET and status != task.status
    if status is not _UNSET:
        task.status = status
    if due_date is not _UNSET:
        task.due_date = due_date
    if metadata is not _UNSET:
        task.metadata = metadata
    task.full_clean()
    task.save()
    if assignees is not _UNSET:
        task.assignees.set(_assignee_users(dataset=task.dataset, assignees=assignees))
    entities_changed(project_id=task.dataset.project_id, resource="Task", action="Updated", entities=[task])
    if status_changed:
        entities_changed(project_id=task.dataset.project_id, resource="Task", action="statusChanged", entities=[task])
    return task


@transaction.atomic
def task_delete(*, task: Task) -> None:
    entities_changed(
        project_id=task.dataset.project_id, resource="Task", action="Deleted", entities=[task], deleted=True
    )
    task.delete()


def task_progress_json(task: Task) -> dict:
    """A task's progress as the API and the live ``task`` event carry it."""
    return {
        "id": task.pk,
        "name": task.name,
        "projectId": task.dataset.project_id,
        "itemsDone": task.items_done,
        "itemsTotal": task.items_total,
        "progress": task.progress,
    }


@transaction.atomic
def task_item_status_set(*, task: Task, item: Item, done: bool = True, user=None) -> Task:
    """Mark one of the task's items done (or not done again): the one place a task item's
    status changes, so whatever reacts to it (the pages' live progress, triggers) hooks here.

    ``itemsDone`` moves by one, atomically; setting the status it already has changes
    nothing and announces nothing. After the commit the project's websocket groups (the
    SDK's and the pages') get a ``task`` event with the task's new progress.
    """
    if not isinstance(done, bool):
        raise ValidationError({"done": "Must be true or false."})
    with transaction.atomic():  # the count, the status and the triggers' event together
        changed = TaskItem.objects.filter(task=task, item=item, done=not done).update(done=done)
        if not changed and not TaskItem.objects.filter(task=task, item=item).exists():
            raise ValidationError({"itemId": f"Item {item.pk} is not in task {task.pk}."})
        if changed:
            Task.objects.filter(pk=task.pk).update(items_done=F("items_done") + (1 if done else -1))
        task.refresh_from_db(fields=["items_done", "items_total"])
        if changed:
            event = {"type": "task", "task": task_progress_json(task), "itemId": item.pk, "done": done}
            # JSON to the SDK's group; the pages' group turns it into HTML (studio/tasks/live.py).
            publish_on_commit(project_group(task.dataset.project_id), event)
            publish_on_commit(studio_group(task.dataset.project_id), event)
            # Triggers on ItemStatus/statusChanged run on the item (faas/services/trigger_events.py).
            entities_changed(
                project_id=task.dataset.project_id,
                resource="ItemStatus",
                action="statusChanged",
                entities=[item],
                user=user,
            )
    return task
