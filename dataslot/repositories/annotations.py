from __future__ import annotations

from dataslot.client import dumps
from dataslot.entities.annotation import Annotation, AnnotationBuilder
from dataslot.entities.base import plain
from dataslot.filters import Filters
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities
from dataslot.repositories.base import need


class AnnotationsRepository:
    """``item.annotations``; ``project.annotations.list(filters)`` queries a whole project."""

    def __init__(self, client, item=None, project=None):
        self._client = client
        self.item = item
        self.project = project

    def _entity(self, json: dict) -> Annotation:
        return Annotation(json, self._client)

    def _item_path(self) -> str:
        need(self.item, "This needs an item: use item.annotations")
        return f"/api/items/{self.item.id}/annotations/"

    def get(self, annotation_id) -> Annotation:
        return self._entity(self._client.get(f"/api/annotations/{annotation_id}/"))

    def list(self, filters: Filters | dict | None = None, page_size: int = DEFAULT_PAGE_SIZE):
        """An item's annotations as a list; a project's as lazy pages."""
        client = self._client
        params = {"page_size": page_size}
        query = filters.prepare() if isinstance(filters, Filters) else filters
        if query:
            params["filter"] = dumps(query)
        if self.item is None and self.project is not None:
            return PagedEntities(
                client, f"/api/projects/{self.project.id}/annotations/", params, lambda j: Annotation(j, client)
            )
        return [self._entity(j) for page in client.iter_pages(self._item_path(), params) for j in page]

    def builder(self) -> AnnotationBuilder:
        return AnnotationBuilder(item=self.item)

    def upload(self, annotations) -> list[Annotation]:
        """Save annotations on the item in one request: a builder, a shape (``dl.Box``...),
        an ``Annotation`` or dict, or a list of those."""
        if isinstance(annotations, AnnotationBuilder):
            body = annotations.to_json()
        else:
            many = annotations if isinstance(annotations, list | tuple) else [annotations]
            body = [_annotation_fields(a) for a in many]
        if not body:
            return []
        if _inside_a_function():
            body = [{"source": "function", **a} for a in body]
        answer = self._client.post(self._item_path(), body)
        return [self._entity(j) for j in (answer if isinstance(answer, list) else [answer])]

    def delete(self, annotation_id) -> bool:
        self._client.delete(f"/api/annotations/{annotation_id}/")
        return True


def _annotation_fields(value) -> dict:
    json = plain(value)
    keep = ("type", "label", "coordinates", "attributes", "metadata")
    return {k: json[k] for k in keep if k in json}


def _inside_a_function() -> bool:
    """True in the thread of a running execution: what it draws is the function's work."""
    try:
        from dataslot.service_runner import current_execution
    except ImportError:
        return False
    return current_execution() is not None
