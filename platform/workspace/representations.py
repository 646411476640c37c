"""The workspace's entities as JSON, with docs/api.md's names (camelCase).

One home for each shape: the REST API's serializers (workspace/api/serializers.py, which
describe the same fields for the schema) return these, the runner sends them with a run
(an entity input), the triggers keep a deleted entity's as it was, and the pages embed
them. Nothing here knows about requests: an item's URLs are paths unless the caller
gives a way to make them absolute.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from workspace.models import Annotation, Dataset, Item, Task
from workspace.selectors.items import dataset_items_total

_SENTINEL = 987654321987


def timestamp(value) -> str | None:
    """DRF's timestamp format (ISO 8601, UTC as Z) without its per-value timezone lookup,
    which costs a third of a list page; stored times are UTC (USE_TZ, TIME_ZONE=UTC)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def dataset_json(dataset: Dataset) -> dict:
    # itemsCount is kept by triggers (ItemBlock), never counted; a list's selector annotates it.
    annotated = getattr(dataset, "items_count", None)
    return {
        "id": dataset.id,
        "projectId": dataset.project_id,
        "name": dataset.name,
        "createdAt": timestamp(dataset.created_at),
        "itemsCount": annotated if annotated is not None else dataset_items_total(dataset_id=dataset.pk),
    }


class ItemUrls:
    """``/api/items/{pk}/<name>/``, each route reversed once (a list page holds up to 1,000
    items); ``absolute`` (a request's ``build_absolute_uri``) makes them absolute."""

    def __init__(self, absolute: Callable[[str], str] | None = None):
        self.absolute = absolute
        self.templates: dict[str, str] = {}

    def __call__(self, name: str, pk: int) -> str:
        template = self.templates.get(name)
        if template is None:
            path = reverse(f"workspace:{name}", args=[_SENTINEL])
            template = self.absolute(path) if self.absolute is not None else path
            self.templates[name] = template
        return template.replace(str(_SENTINEL), str(pk), 1)


def item_json(item: Item, *, project_id: int | None = None, urls: ItemUrls | None = None) -> dict:
    """``project_id``: the dataset's project, when the caller knows it (a page costs no join)."""
    urls = urls or ItemUrls()
    return {
        "id": item.id,
        "datasetId": item.dataset_id,
        "projectId": project_id if project_id is not None else item.dataset.project_id,
        "name": item.name,
        "dir": item.dir,
        "filename": item.filename,
        "type": item.type,
        "hidden": item.hidden,
        "width": item.width,
        "height": item.height,
        "size": item.size,
        "metadata": item.metadata,
        "createdAt": timestamp(item.created_at),
        "url": urls("item-download", item.pk),
        "thumbnailUrl": urls("item-thumbnail", item.pk),
    }


def annotation_json(annotation: Annotation) -> dict:
    return {
        "id": annotation.id,
        "itemId": annotation.item_id,
        "datasetId": annotation.item.dataset_id,
        "projectId": annotation.item.dataset.project_id,
        "type": annotation.type,
        "label": annotation.label,
        "coordinates": annotation.coordinates,
        "attributes": annotation.attributes,
        "metadata": annotation.metadata,
        "source": annotation.source,
        "creator": annotation.created_by.username if annotation.created_by_id else None,
        "createdAt": timestamp(annotation.created_at),
        "updatedAt": timestamp(annotation.updated_at),
    }


def task_json(task: Task) -> dict:
    return {
        "id": task.id,
        "projectId": task.dataset.project_id,
        "datasetId": task.dataset_id,
        "name": task.name,
        "status": task.status,
        "dueDate": task.due_date.isoformat() if task.due_date is not None else None,
        "query": task.query,
        "assignees": sorted(u.username for u in task.assignees.all()),
        "itemsTotal": task.items_total,
        "itemsDone": task.items_done,
        "progress": task.progress,
        "metadata": task.metadata,
        "createdAt": timestamp(task.created_at),
    }
