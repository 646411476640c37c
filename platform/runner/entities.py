"""The entities a run needs, loaded in bulk when executions are handed to a replica.

A function's ``Item``/``Annotation``/``Task``/``Dataset`` arguments would otherwise
each cost the replica one API request; the dispatcher already holds the executions,
so it loads their entities with one query per kind and sends the JSON with the run.
"""

from __future__ import annotations

from collections import defaultdict

from faas.models import Execution
from workspace import references
from workspace.models import Annotation, Dataset, Item, Task
from workspace.representations import annotation_json, dataset_json, item_json, task_json

KINDS = {
    "Item": (lambda ids: Item.objects.select_related("dataset").filter(pk__in=ids), item_json),
    "Annotation": (
        lambda ids: Annotation.objects.select_related("item__dataset", "created_by").filter(pk__in=ids),
        annotation_json,
    ),
    "Task": (
        lambda ids: Task.objects.select_related("dataset").prefetch_related("assignees").filter(pk__in=ids),
        task_json,
    ),
    "Dataset": (lambda ids: Dataset.objects.filter(pk__in=ids), dataset_json),
}


def entity_payloads(executions: list[Execution], functions: dict[int, dict]) -> dict[int, dict[str, dict]]:
    """For each execution id, ``{"Item:7": <item JSON>, ...}`` for its entity inputs."""
    wanted: dict[str, set[int]] = defaultdict(set)
    refs: dict[int, list[tuple[str, int]]] = defaultdict(list)
    # A deleted entity's JSON as it was (a trigger on Deleted carries it in the reference).
    snapshots: dict[tuple[str, int], dict] = {}
    for execution in executions:
        for io in functions[execution.id]["inputs"]:
            kind = io["type"].removesuffix("[]")
            if kind not in KINDS or io["name"] not in execution.input:
                continue
            value = execution.input[io["name"]]
            for ref in value if isinstance(value, list) else [value]:
                ident = ref.get(references.BY_NAME[kind].key) if isinstance(ref, dict) else None
                if ident is not None:
                    wanted[kind].add(ident)
                    refs[execution.id].append((kind, ident))
                    if isinstance(ref.get("entity"), dict):
                        snapshots[(kind, ident)] = ref["entity"]
    loaded: dict[tuple[str, int], dict] = {}
    for kind, ids in wanted.items():
        query, represent = KINDS[kind]
        for entity in query(ids):
            loaded[(kind, entity.pk)] = represent(entity)
    loaded = {**snapshots, **loaded}
    return {
        execution_id: {f"{kind}:{ident}": loaded[(kind, ident)] for kind, ident in pairs if (kind, ident) in loaded}
        for execution_id, pairs in refs.items()
    }
