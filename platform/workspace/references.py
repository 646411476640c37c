"""Entity references: the one server-side home for how an execution names an entity.

A reference is a small JSON object, the same on the wire, in stored inputs and outputs
and in the SDK (``dataslot/references.py`` mirrors this without importing the server):

- item: ``{"item_id", "dataset_id"}``
- annotation: ``{"annotation_id", "item_id", "dataset_id"}``
- task: ``{"task_id", "dataset_id"}``
- dataset: ``{"dataset_id"}``

A reference is recognised by its most specific key, in ``KINDS`` order: an annotation's
reference also holds ``item_id`` and ``dataset_id``, an item's ``dataset_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

from workspace.models import Annotation, Dataset, Item, Project, Task


@dataclass(frozen=True)
class Kind:
    name: str  # the function input type: "Item"
    noun: str  # as pages say it: "item"
    key: str  # its id in a reference: "item_id"
    # (field of the model, key of the reference) for every key of its reference.
    fields: tuple[tuple[str, str], ...]


KINDS = (
    Kind(
        "Annotation",
        "annotation",
        "annotation_id",
        (("id", "annotation_id"), ("item_id", "item_id"), ("item__dataset_id", "dataset_id")),
    ),
    Kind("Item", "item", "item_id", (("id", "item_id"), ("dataset_id", "dataset_id"))),
    Kind("Task", "task", "task_id", (("id", "task_id"), ("dataset_id", "dataset_id"))),
    Kind("Dataset", "dataset", "dataset_id", (("id", "dataset_id"),)),
)
BY_NAME = {kind.name: kind for kind in KINDS}
BY_NOUN = {kind.noun: kind for kind in KINDS}
_MODELS = {"Annotation": Annotation, "Item": Item, "Task": Task, "Dataset": Dataset}
_PROJECT = {
    "Annotation": "item__dataset__project",
    "Item": "dataset__project",
    "Task": "dataset__project",
    "Dataset": "project",
}


def kind_of(name_or_noun: str) -> Kind:
    """``"Item"`` (an input type) or ``"item"`` (a slot's resource)."""
    return BY_NAME.get(name_or_noun) or BY_NOUN[name_or_noun]


def references(*, queryset, kind: str) -> list[dict]:
    """The references of a queryset's entities, in id order: one query, no model objects."""
    return [ref for ref, _ in references_with(queryset=queryset, kind=kind)]


def references_with(*, queryset, kind: str, columns: tuple[str, ...] = ()) -> list[tuple[dict, tuple]]:
    """``references``, each with the values of more ``columns`` of its row (an annotation
    of the queryset), from the same query."""
    fields = kind_of(kind).fields
    keys = [key for _, key in fields]
    rows = queryset.order_by("id").values_list(*(field for field, _ in fields), *columns)
    return [(dict(zip(keys, row[: len(fields)], strict=True)), row[len(fields) :]) for row in rows]


def in_project(queryset, *, kind: str, project_id: int):
    """Only the entities of ``project_id``: a reference never reaches another project."""
    return queryset.filter(**{f"{_PROJECT[kind_of(kind).name]}_id": project_id})


def reference_in_project(*, kind: str, ident: int, project: Project) -> dict | None:
    """The full reference of one entity of ``project`` (None: not there)."""
    queryset = in_project(_MODELS[kind_of(kind).name].objects.filter(pk=ident), kind=kind, project_id=project.pk)
    found = references(queryset=queryset, kind=kind)
    return found[0] if found else None


def reference_of(kind: str, entity) -> dict:
    """The reference of a model object already loaded (an annotation with its item)."""
    ref = {}
    for field, key in kind_of(kind).fields:
        value = entity
        for part in field.split("__"):
            value = getattr(value, part)
        ref[key] = value
    return ref


def parse(value) -> tuple[Kind, int] | None:
    """The entity a reference names, or None when ``value`` is not a reference."""
    if isinstance(value, dict):
        for kind in KINDS:
            ident = value.get(kind.key)
            if isinstance(ident, int) and not isinstance(ident, bool):
                return kind, ident
    return None


def parse_all(value) -> list[tuple[Kind, int]]:
    """The references in a value (one reference or a list of them), in order."""
    if isinstance(value, list):
        return [found for element in value for found in parse_all(element)]
    found = parse(value)
    return [found] if found else []


def ids_of(value, noun: str) -> list[int]:
    """The ids of the ``noun`` entities a value names, in order, without repeats
    (an annotation's reference names its annotation, not its item)."""
    return list(dict.fromkeys(ident for kind, ident in parse_all(value) if kind.noun == noun))
