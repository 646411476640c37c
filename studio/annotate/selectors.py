"""Reads for the annotation studio and the tasks browser, in a fixed number of queries.

Membership comes from ``workspace.selectors`` (a non-member gets 404, so ids do not
leak). Lists are keyset pages over ids: ``after``/``before`` an id, never an OFFSET or a
COUNT, so a page costs the same at item 10 and at item 100,000.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.http import Http404

from workspace import dql
from workspace.models import Annotation, Item, Project, Task
from workspace.representations import annotation_json
from workspace.selectors.annotations import annotations_for_item
from workspace.selectors.items import items_list
from workspace.selectors.paging import keyset_page
from workspace.selectors.projects import project_get_for_user
from workspace.selectors.tasks import task_get_for_user, task_items, tasks_for_project

LABELS_SHOWN = 200
TASKS_PAGE_SIZE = 50
TASK_ITEMS_PAGE_SIZE = 48

# Label colours: saturated, distinct hues that stay visible on light and mid-tone images.
# static/js/annotate.js holds the same list and the same hash, so a label has one colour.
LABEL_COLORS = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#0fa3b1",
    "#f032e6",
    "#7cb518",
    "#9a6324",
    "#1d3557",
    "#d4a900",
    "#469990",
)


def label_color(label: str) -> str:
    """A stable colour per label: a 31-hash over UTF-16 code units, as JavaScript sees the string."""
    value = 0
    units = label.encode("utf-16-le")
    for i in range(0, len(units), 2):
        value = (value * 31 + int.from_bytes(units[i : i + 2], "little")) % 2**32
    return LABEL_COLORS[value % len(LABEL_COLORS)]


# ----- the annotation studio ------------------------------------------------------------


@dataclass
class Shape:
    """How one annotation is drawn on the overlay, in image pixels (None: listed, not drawn)."""

    annotation: Annotation
    color: str
    tag: str | None = None  # rect | circle | polygon
    attrs: dict = field(default_factory=dict)


def _shape(annotation: Annotation, *, point_radius: float) -> Shape:
    shape = Shape(annotation=annotation, color=label_color(annotation.label))
    points = annotation.coordinates or []
    if annotation.type == Annotation.Type.BOX and len(points) == 2:
        (x1, y1), (x2, y2) = points
        shape.tag = "rect"
        shape.attrs = {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1}
    elif annotation.type == Annotation.Type.POINT and len(points) == 1:
        ((x, y),) = points
        shape.tag = "circle"
        shape.attrs = {"cx": x, "cy": y, "r": point_radius}
    elif annotation.type == Annotation.Type.POLYGON and len(points) >= 3:
        shape.tag = "polygon"
        shape.attrs = {"points": " ".join(f"{x},{y}" for x, y in points)}
    return shape


def _neighbour_ids(*, item: Item, filter: dict | None) -> tuple[int | None, int | None]:
    """The previous and next item of the dataset in id order that match ``filter`` (keyset)."""
    items = items_list(dataset=item.dataset, filter=filter)
    previous = items.filter(pk__lt=item.pk).order_by("-pk").values_list("pk", flat=True).first()
    next_ = items.filter(pk__gt=item.pk).order_by("pk").values_list("pk", flat=True).first()
    return previous, next_


def project_labels(*, project: Project) -> list[str]:
    """Labels already used in the project, for the label input's suggestions."""
    labels = (
        Annotation.objects.filter(item__dataset__project_id=project.pk)
        .order_by("label")
        .values_list("label", flat=True)
        .distinct()
    )
    return list(labels[:LABELS_SHOWN])


def studio_context(*, user, project_id, item_id, filter_text: str | None) -> dict:
    """Everything the annotation studio shows for one item of a member's project."""
    project = project_get_for_user(user=user, project_id=project_id)
    try:
        item = Item.objects.select_related("dataset").get(pk=int(item_id), dataset__project_id=project.pk)
    except (Item.DoesNotExist, TypeError, ValueError):
        raise Http404("No such item in this project.")

    filter_error = None
    filter = None
    try:
        filter = dql.parse(filter_text) or None
        previous_id, next_id = _neighbour_ids(item=item, filter=filter)
    except dql.QueryError as exc:
        # A bad filter must not lock the user out of the item: walk the whole dataset instead.
        filter_error = str(exc)
        filter = None
        previous_id, next_id = _neighbour_ids(item=item, filter=None)

    annotations = list(annotations_for_item(item=item))
    point_radius = round(max(item.width, item.height) / 150, 2) or 1
    return {
        "project": project,
        "role": project.role,
        "item": item,
        "dataset": item.dataset,
        "shapes": [_shape(a, point_radius=point_radius) for a in annotations],
        "annotations_json": [annotation_json(a) for a in annotations],
        "labels": project_labels(project=project),
        "filter": filter,
        "filter_query": json.dumps(filter, separators=(",", ":")) if filter else "",
        "filter_error": filter_error,
        "previous_id": previous_id,
        "next_id": next_id,
    }


# ----- the tasks browser ----------------------------------------------------------------


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
