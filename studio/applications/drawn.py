"""What a page needs to apply a ``drawAnnotation`` post-action, sent with the execution's row.

When such an execution succeeds, its drawer row (live or read) carries the annotations it
returned as the annotation studio draws them (the API's JSON) and, for the dataset
browser, each of their items' thumbnail overlay: the page draws from the row alone, with
no request per annotation or per item.

Bounded so that a function returning thousands of annotations cannot make every row and
websocket message large: past ``MAX_DRAWN`` annotations (per execution) the row carries
only ``{"more": true}`` and the page reads the same data once from ``execution_drawn``
(up to ``MAX_FETCHED``).

Read for a whole batch of rows at once: two queries, none per row.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from faas.enums import ExecutionStatus, SlotPostActionType
from studio.browse.selectors import tiles_for
from workspace.models import Annotation, Item
from workspace.references import ids_of
from workspace.representations import annotation_json

MAX_DRAWN = 50
MAX_FETCHED = 1000


def _wanted(execution: dict) -> bool:
    return (
        execution.get("status") == ExecutionStatus.SUCCESS
        and execution.get("postAction") == SlotPostActionType.DRAW_ANNOTATION
    )


def drawn_for(*, project_id: int, executions: list[dict], limit: int = MAX_DRAWN) -> dict[int, dict]:
    """``{execution id: {"annotations": [...], "overlays": {item id: svg}}}`` for the
    successful drawAnnotation executions among these (their API/event JSON), of one project;
    ``{"more": True}`` for one that returned more than ``limit`` annotations."""
    drawn: dict[int, dict] = {}
    wanted: dict[int, list[int]] = {}
    for execution in executions:
        if not _wanted(execution):
            continue
        ids = ids_of(execution.get("output"), "annotation")
        if len(ids) > limit:
            drawn[execution["id"]] = {"more": True}
        else:
            wanted[execution["id"]] = ids
    if not wanted:
        return drawn
    all_ids = {pk for ids in wanted.values() for pk in ids}
    annotations = {
        a.pk: a
        for a in Annotation.objects.filter(pk__in=all_ids, item__dataset__project_id=project_id).select_related(
            "item__dataset", "created_by"
        )
    }
    items = Item.objects.filter(pk__in={a.item_id for a in annotations.values()})
    # The same markup as the browser's thumbnails, so the page swaps one for the other.
    overlays = {
        tile.item.pk: render_to_string("studio/browse/_overlay.html", {"tile": tile}).strip()
        for tile in tiles_for(list(items))
    }
    for execution_id, ids in wanted.items():
        found = [annotations[pk] for pk in ids if pk in annotations]
        drawn[execution_id] = {
            "annotations": [annotation_json(a) for a in found],
            "overlays": {a.item_id: overlays[a.item_id] for a in found if a.item_id in overlays},
        }
    return drawn
