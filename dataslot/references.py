"""Entity references, as the SDK reads and writes them (the server's twin is
``workspace/references.py``; the SDK imports nothing of the server).

- item: ``{"item_id", "dataset_id"}``
- annotation: ``{"annotation_id", "item_id", "dataset_id"}``
- task: ``{"task_id", "dataset_id"}``
- dataset: ``{"dataset_id"}``

A reference is recognised by its most specific key, in ``KINDS`` order.
"""

from __future__ import annotations

# Entity class name (a function input type) -> the keys of its reference, its own id first.
KINDS = {
    "Annotation": ("annotation_id", "item_id", "dataset_id"),
    "Item": ("item_id", "dataset_id"),
    "Task": ("task_id", "dataset_id"),
    "Dataset": ("dataset_id",),
}
ID_KEYS = {kind: keys[0] for kind, keys in KINDS.items()}


def build(kind: str, ident, **qualifiers) -> dict:
    """``build("Item", 7, dataset_id=3)``; a qualifier left None is left out (the server
    fills it in when it checks the input)."""
    own, *others = KINDS[kind]
    return {own: ident, **{key: qualifiers[key] for key in others if qualifiers.get(key) is not None}}


def id_of(kind: str, ref) -> int | None:
    """The id a reference gives for an entity of ``kind`` (None: not such a reference)."""
    return ref.get(ID_KEYS[kind]) if isinstance(ref, dict) else None


def parse(value) -> tuple[str, int] | None:
    """``(kind, id)`` of the entity a reference names, or None."""
    if isinstance(value, dict):
        for kind, key in ID_KEYS.items():
            ident = value.get(key)
            if isinstance(ident, int) and not isinstance(ident, bool):
                return kind, ident
    return None


def reference_of(entity) -> dict | None:
    """The reference of an SDK entity (``dl.Item``...), None for anything else."""
    kind = type(entity).__name__
    if kind not in KINDS:
        return None
    return build(kind, entity.id, **{key: getattr(entity, key, None) for key in KINDS[kind][1:]})
