"""Annotations on items, validated per type and against the image's bounds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from workspace.events import entities_changed
from workspace.models import Annotation, Item
from workspace.selectors.projects import is_function_bot

_UNSET = object()


def _json_object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError({field: "Must be a JSON object."})
    return value


def annotation_create(
    *,
    item: Item,
    type: str,
    label: str,
    coordinates=None,
    attributes: dict | None = None,
    metadata: dict | None = None,
    source: str = "user",
    user=None,
) -> Annotation:
    if is_function_bot(user):
        source = Annotation.Source.FUNCTION  # told by who calls, never by the client
    annotation = Annotation(
        item=item,
        type=type,
        label=label,
        coordinates=[] if coordinates is None else coordinates,
        attributes=_json_object(attributes, "attributes"),
        metadata=_json_object(metadata, "metadata"),
        source=source,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    annotation.full_clean()
    annotation.save()
    entities_changed(project_id=item.dataset.project_id, resource="Annotation", action="Created", entities=[annotation])
    return annotation


@transaction.atomic
def annotations_create(*, item: Item, annotations: list[dict], user=None) -> list[Annotation]:
    """Several annotations on one item: all of them or none."""
    created = []
    for index, fields in enumerate(annotations):
        try:
            created.append(annotation_create(item=item, user=user, **fields))
        except ValidationError as exc:
            if len(annotations) == 1:
                raise
            raise ValidationError({f"{index}.{k}": v for k, v in exc.message_dict.items()})
    return created


def annotation_update(
    *,
    annotation: Annotation,
    type=_UNSET,
    label=_UNSET,
    coordinates=_UNSET,
    attributes=_UNSET,
    metadata=_UNSET,
    source=_UNSET,
) -> Annotation:
    if type is not _UNSET:
        annotation.type = type
    if label is not _UNSET:
        annotation.label = label
    if coordinates is not _UNSET:
        annotation.coordinates = [] if coordinates is None else coordinates
    if attributes is not _UNSET:
        annotation.attributes = _json_object(attributes, "attributes")
    if metadata is not _UNSET:
        annotation.metadata = _json_object(metadata, "metadata")
    if source is not _UNSET:
        annotation.source = source
    annotation.full_clean()
    annotation.save()
    project_id = annotation.item.dataset.project_id
    entities_changed(project_id=project_id, resource="Annotation", action="Updated", entities=[annotation])
    return annotation


@transaction.atomic
def annotation_delete(*, annotation: Annotation) -> None:
    project_id = annotation.item.dataset.project_id
    entities_changed(
        project_id=project_id, resource="Annotation", action="Deleted", entities=[annotation], deleted=True
    )
    annotation.delete()
