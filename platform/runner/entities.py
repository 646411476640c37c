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

# Per kind: the query for ids, the project an entity belongs to, and its JSON.
KINDS = {
    "Item": (
        lambda ids: Item.objects.select_related("dataset").filter(pk__in=ids),
        lambda item: item.dataset.project_id,
        item_json,
    ),
    "Annotation": (
        lambda ids: Annotation.objects.select_related("item__dataset", "created_by").filter(pk__in=ids),
        lambda annotation: annotation.item.dataset.project_id,
        annotation_json,
    ),
    "Task": (
        lambda ids: Task.objects.select_related("dataset").prefetch_related("assignees").filter(pk__in=ids),
        lambda task: task.dataset.project_id,
        task_json,
    ),
    "Dataset": (lambda ids: Dataset.objects.filter(pk__in=ids), lambda dataset: dataset.project_id, dataset_json),
}


def entity_payloads(executions: list[Execution], functions: dict[int, dict]) -> dict[int, dict[str, dict]]:
    """For each execution id, ``{"Item:7": <item JSON>, ...}`` for its entity inputs.

    Only entities of the execution's own project: an input can name another project's
    entity by ways the API's check does not see (a package's declared default, an input
    stored under an older revision whose type was not an entity). The function then asks
    the API for it with its own token, which answers 404."""
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
                if type(ident) is int:  # noqa: E721 - not a bool
                    wanted[kind].add(ident)
                    refs[execution.id].append((kind, ident))
                    if isinstance(ref.get("entity"), dict):
                        snapshots[(kind, ident)] = ref["entity"]
    loaded: dict[tuple[str, int], tuple[int, dict]] = {}
    for kind, ids in wanted.items():
        query, project_of, represent = KINDS[kind]
        for entity in query(ids):
            loaded[(kind, entity.pk)] = (project_of(entity), represent(entity))
    projects = {execution.id: execution.project_id for execution in executions}
    payloads: dict[int, dict[str, dict]] = {}
    for execution_id, pairs in refs.items():
        mine = payloads[execution_id] = {}
        for kind, ident in pairs:
            if (kind, ident) in loaded:
                project_id, entity = loaded[(kind, ident)]
                if project_id == projects[execution_id]:
                    mine[f"{kind}:{ident}"] = entity
            elif (kind, ident) in snapshots:
                # Gone: the reference's own copy (the caller's data, as the trigger had it).
                mine[f"{kind}:{ident}"] = snapshots[(kind, ident)]
    return payloads
