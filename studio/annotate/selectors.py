"""Reads for the annotation studio, in a fixed number of queries.

Membership comes from ``workspace.selectors`` (a non-member gets 404, so ids do not
leak). Previous/next are keyset reads over ids, never an OFFSET or a COUNT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import Http404

from studio.shapes import Shape, svg_shape
from workspace import dql
from workspace.models import Annotation, Item, Project
from workspace.representations import annotation_json
from workspace.selectors.annotations import annotations_for_item
from workspace.selectors.items import items_list
from workspace.selectors.projects import project_get_for_user

LABELS_SHOWN = 200


@dataclass(frozen=True)
class Listed:
    """An annotation of the studio's list and how the overlay draws it (None: listed, not
    drawn). Its colour is its label's, given by static/js/annotate.js (labels typed there too)."""

    annotation: Annotation
    shape: Shape | None


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
        "shapes": [Listed(a, svg_shape(a.type, a.coordinates, point_radius=point_radius)) for a in annotations],
        "annotations_json": [annotation_json(a) for a in annotations],
        "labels": project_labels(project=project),
        "filter": filter,
        "filter_query": json.dumps(filter, separators=(",", ":")) if filter else "",
        "filter_error": filter_error,
        "previous_id": previous_id,
        "next_id": next_id,
    }
