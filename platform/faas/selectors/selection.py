"""A selection of entities as sent by pages and the SDK, resolved on the server.

``{"ids": [...]}`` or ``{"all": true, "excluded": [...], "filter": DQL, "datasetId": N}``:
"select all 100k" never ships ids (docs/design.md "Lessons taken from other tools' trackers").
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from workspace import dql
from workspace.ids import is_id
from workspace.models import Annotation, Item, Project, Task

MAX_IDS = 10_000


def project_entities(*, project: Project, resource: str) -> QuerySet:
    if resource == "item":
        return Item.objects.filter(dataset__project=project)
    if resource == "annotation":
        return Annotation.objects.filter(item__dataset__project=project)
    if resource == "task":
        return Task.objects.filter(dataset__project=project)
    raise ValidationError({"resource": f"Must be item, annotation or task, got {resource!r}."})


def _ids(values, field: str) -> list[int]:
    if not isinstance(values, list) or not all(is_id(v) for v in values):
        raise ValidationError({"selection": f"'{field}' must be a list of ids."})
    if len(values) > MAX_IDS:
        raise ValidationError({"selection": f"At most {MAX_IDS} ids; select all with a filter instead."})
    return values


def selection_queryset(*, project: Project, resource: str, selection) -> QuerySet:
    queryset = project_entities(project=project, resource=resource)
    if not isinstance(selection, dict):
        raise ValidationError({"selection": 'Must be {"ids": [...]} or {"all": true, "filter": ...}.'})
    if selection.get("all"):
        dataset_id = selection.get("datasetId")
        if resource == "item" and dataset_id is not None:
            if not is_id(dataset_id):
                raise ValidationError({"selection": f"'datasetId' must be a dataset id, got {dataset_id!r}."})
            queryset = queryset.filter(dataset_id=dataset_id)
        try:
            queryset = dql.filter_queryset(resource, queryset, selection.get("filter") or {})
        except dql.QueryError as exc:
            raise ValidationError({"selection": f"filter: {exc}"})
        excluded = _ids(selection.get("excluded") or [], "excluded")
        return queryset.exclude(id__in=excluded) if excluded else queryset
    return queryset.filter(id__in=_ids(selection.get("ids"), "ids"))


def count_not_matching(*, queryset: QuerySet, resource: str, query: dict) -> int:
    """How many selected entities a scope's filter excludes (0 means the slot applies)."""
    if not query:
        return 0
    return queryset.exclude(dql.compile_query(resource, query)).count()
