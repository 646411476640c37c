from __future__ import annotations

from dataslot.client import dumps
from dataslot.entities.annotation import Annotation, AnnotationCollection
from dataslot.entities.base import plain
from dataslot.execution_state import current_execution
from dataslot.filters import Filters, query_for
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities
from dataslot.repositories.base import Repository, need


class AnnotationsRepository(Repository):
    """``item.annotations``; ``dataset.annotations`` and ``project.annotations`` query all of theirs."""

    entity, noun, scopes, parent = Annotation, "annotations", ("item", "project", "dataset"), "item"

    def get(self, annotation_id) -> Annotation:
        return self._get(annotation_id)

    def list(self, filters: Filters | dict | None = None, page_size: int | None = None):
        """An item's annotations (those matching ``filters``, filtered by the server) as an
        ``AnnotationCollection``; a dataset's or a project's as pages (``pages.all()``)."""
        client = self._client
        size = page_size or (filters.page_size if isinstance(filters, Filters) else None) or DEFAULT_PAGE_SIZE
        params = {"page_size": size}
        if self.item is not None:
            query = query_for(filters, client, self.item._json.get("projectId"))
            if query:
                params["filter"] = dumps(query)
            found = [self._entity(j) for page in client.iter_pages(self._path(), params) for j in page]
            return AnnotationCollection(item=self.item, annotations=found)
        need(self.project or self.dataset, "This needs an item, a dataset or a project: use item.annotations")
        project_id = self.project.id if self.project is not None else self.dataset.project_id
        query = query_for(filters, client, project_id)
        if self.dataset is not None:
            scope = {"datasetId": self.dataset.id}
            query = {"$and": [query, scope]} if query else scope
        if query:
            params["filter"] = dumps(query)
        sort = filters.sort if isinstance(filters, Filters) else None
        return PagedEntities(client, f"/api/projects/{project_id}/annotations/", params, self._entity, sort=sort)

    def builder(self) -> AnnotationCollection:
        return AnnotationCollection(item=self.item)

    def upload(self, annotations) -> list[Annotation]:
        """Save annotations on the item in one request: a builder, a shape (``dl.Box``...),
        an ``Annotation`` or dict, or a list of those."""
        if isinstance(annotations, AnnotationCollection):
            body = annotations.to_json()
        else:
            many = annotations if isinstance(annotations, list | tuple) else [annotations]
            body = [_annotation_fields(a) for a in many]
        if not body:
            return []
        if _inside_a_function():
            body = [{"source": "function", **a} for a in body]
        answer = self._client.post(self._path(), body)
        return [self._entity(j) for j in (answer if isinstance(answer, list) else [answer])]


def _annotation_fields(value) -> dict:
    json = plain(value)
    keep = ("type", "label", "coordinates", "attributes", "metadata")
    return {k: json[k] for k in keep if k in json}


def _inside_a_function() -> bool:
    """True in the thread of a running execution: what it draws is the function's work."""
    return current_execution() is not None
