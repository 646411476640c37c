"""Reads of annotations."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from workspace import dql
from workspace.models import Annotation, Item, Project
from workspace.selectors.projects import check_role


def _with_context(annotations: QuerySet[Annotation]) -> QuerySet[Annotation]:
    # itemId/datasetId/projectId and the creator's name come from single-row joins on keys.
    return annotations.select_related("item__dataset", "created_by").only(
        "id",
        "item_id",
        "type",
        "label",
        "coordinates",
        "attributes",
        "metadata",
        "source",
        "created_by__username",
        "created_at",
        "updated_at",
        "item__dataset_id",
        "item__dataset__project_id",
    )


def annotations_for_item(*, item: Item, filter: dict | None = None) -> QuerySet[Annotation]:
    """The item's annotations in id order, optionally narrowed by DQL (raises ``dql.QueryError``)."""
    annotations = Annotation.objects.filter(item=item)
    if filter:
        annotations = dql.filter_queryset("annotation", annotations, filter)
    return _with_context(annotations).order_by("id")


def annotations_for_project(*, project: Project, filter: dict | None = None) -> QuerySet[Annotation]:
    """The project's annotations in id order, optionally narrowed by DQL (raises ``dql.QueryError``)."""
    annotations = Annotation.objects.filter(item__dataset__project_id=project.pk)
    if filter:
        annotations = dql.filter_queryset("annotation", annotations, filter)
    return _with_context(annotations).order_by("id")


def annotation_get_for_user(*, user, annotation_id, roles: Iterable[str] | None = None) -> Annotation:
    try:
        annotation = Annotation.objects.select_related("item__dataset", "created_by").get(pk=int(annotation_id))
    except (Annotation.DoesNotExist, TypeError, ValueError):
        raise Http404("No such annotation.")
    annotation.role = check_role(user=user, project_id=annotation.item.dataset.project_id, roles=roles)
    return annotation
