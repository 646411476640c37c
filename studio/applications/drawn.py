"""What a page needs to apply a ``drawAnnotation`` post-action, sent with the execution's row.

When such an execution succeeds, its drawer row (live or read) carries the annotations it
returned as the annotation studio draws them (the API's JSON) and, for the dataset
browser, each of their items' thumbnail overlay: the page draws from the row alone, with
no request per annotation or per item.

Bounded so that a function returning thousands of annotations, or a few huge ones (a
polygon of 300k vertices, megabytes of attributes), cannot make every row and websocket
message large: past ``MAX_DRAWN`` annotations or ``MAX_ROW_BYTES`` of JSON (per
execution) the row carries only ``{"more": true}``, and the page of the user who ran it
reads the same data once from ``execution_drawn``, which sends up to ``MAX_FETCHED``
annotations and ``MAX_FETCHED_BYTES``: what does not fit is left out, counted in
``"left"`` (the page says so; the annotations are on their items all the same).

Read for a whole batch of rows at once: two queries, none per row.
"""

from __future__ import annotations

import json

from django.template.loader import render_to_string
from django.utils.html import escape

from faas.enums import ExecutionStatus, SlotPostActionType
from studio.browse.selectors import tiles_for
from workspace.models import Annotation, Item
from workspace.references import ids_of
from workspace.representations import annotation_json

MAX_DRAWN = 50
MAX_FETCHED = 1000
MAX_ROW_BYTES = 64 * 1024  # every row render and live batch of the project carries it
MAX_FETCHED_BYTES = 4 * 1024 * 1024  # one read, by the page that applies the post-action


def _weight(value) -> int:
    """Bytes of a value as a row carries it: JSON, then escaped into an HTML attribute
    (a quote costs six bytes there)."""
    return len(escape(json.dumps(value, separators=(",", ":"))).encode())


def _wanted(execution: dict) -> bool:
    return (
        execution.get("status") == ExecutionStatus.SUCCESS
        and execution.get("postAction") == SlotPostActionType.DRAW_ANNOTATION
    )


def drawn_for(
    *, project_id: int, executions: list[dict], limit: int = MAX_DRAWN, budget: int | None = MAX_ROW_BYTES
) -> dict[int, dict]:
    """``{execution id: {"annotations": [...], "overlays": {item id: svg}}}`` for the
    successful drawAnnotation executions among these (their API/event JSON), of one project;
    ``{"more": True}`` for one that returned more than ``limit`` annotations or more than
    ``budget`` bytes of them. ``budget=None``: the fetch's own budget, ``MAX_FETCHED_BYTES``,
    keeping what fits and counting the rest in ``"left"``."""
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
        kept, shown, size, left = [], {}, 0, 0
        for annotation in found:
            if left and budget is not None:
                break  # the row carries {"more": true}: no need to weigh the rest
            data = annotation_json(annotation)
            overlay = overlays.get(annotation.item_id) if annotation.item_id not in shown else None
            cost = _weight(data) + (_weight(overlay) if overlay is not None else 0)
            if size + cost > (MAX_FETCHED_BYTES if budget is None else budget):
                left += 1
                continue
            size += cost
            kept.append(data)
            if overlay is not None:
                shown[annotation.item_id] = overlay
        if left and budget is not None:
            drawn[execution_id] = {"more": True}
        else:
            drawn[execution_id] = {"annotations": kept, "overlays": shown} | ({"left": left} if left else {})
    return drawn
