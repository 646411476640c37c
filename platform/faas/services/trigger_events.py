"""Event triggers: the workspace's changes recorded in an outbox, turned into executions.

The workspace's services call ``workspace.events.entities_changed`` inside the transaction
that changes entities; ``event_record`` (subscribed in ``faas.apps``) writes one
``TriggerEvent`` outbox row there when a live trigger of the project listens, so the event
exists exactly when the change committed. The trigger pump of every dispatcher
(``faas/trigger_pump.py``) turns outbox rows into executions (``trigger_events_process``),
in batches, and deletes them in the same transaction: exactly once per event, after the
commit that caused it, never inside the request that uploaded the items.

Executions are created by ``executions_create_batch``, as every other execution, so both
executor modes run them; each records its trigger.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from rest_framework.exceptions import APIException

from faas.enums import TriggerExecutionMode, TriggerType
from faas.inputs import entity_input_name
from faas.models import Trigger, TriggerEvent, TriggerOnce
from faas.services.executions import executions_create_batch, function_for
from faas.services.triggers import KINDS, A
from workspace import dql, references
from workspace.dql.syntax import FIELDS
from workspace.representations import annotation_json, dataset_json, item_json, task_json

logger = logging.getLogger(__name__)

CHUNK = 2000  # entity ids per query, and per pump transaction


def _live_event_triggers(*, project_ids, resource: str):
    return Trigger.objects.filter(
        project_id__in=project_ids, type=TriggerType.EVENT, active=True, resource=resource, service__active=True
    )


def _record(entity: str | None, obj) -> dict:
    """An entity's DQL fields as the in-memory matcher reads them (for deleted entities)."""
    record = {}
    for name, field in FIELDS.get(entity or "", {}).items():
        if not field.orm:
            continue
        value = obj
        for part in field.orm.split("__"):
            value = getattr(value, part, None)
            if value is None:
                break
        record[name] = value.isoformat() if isinstance(value, datetime) else value
    return record


def event_record(*, project_id: int, resource: str, action: str, entities: list, deleted: bool = False, user=None):
    """The workspace's ``entities_changed`` listener: one outbox row, only when a live trigger
    of this project listens to this resource and action (one indexed query otherwise)."""
    listening = _live_event_triggers(project_ids=[project_id], resource=resource).values_list("actions", flat=True)
    if not any(action in actions for actions in listening):
        return
    records = None
    if deleted:
        # What the function gets: the entity's JSON as it was, inside its reference (the
        # dispatcher sends it with the run, as it sends a living entity's).
        entity, kind, _ = KINDS[resource]
        represent = {"Item": item_json, "Annotation": annotation_json, "Task": task_json, "Dataset": dataset_json}[kind]
        records = [
            {"ref": {**references.reference_of(kind, e), "entity": represent(e)}, "record": _record(entity, e)}
            for e in entities
        ]
    TriggerEvent.objects.create(
        project_id=project_id, resource=resource, action=action, entity_ids=[e.pk for e in entities], records=records
    )
    transaction.on_commit(_outbox_changed)  # the pumps' wake-up, after the change is visible


# The pumps that turn the outbox into executions (faas/trigger_pump.py) listen here: they
# sit above this module, which only tells them that an event was committed.
_outbox_listeners: list = []


def outbox_listen(listener) -> None:
    _outbox_listeners.append(listener)


def outbox_unlisten(listener) -> None:
    if listener in _outbox_listeners:
        _outbox_listeners.remove(listener)


def _outbox_changed() -> None:
    for listener in list(_outbox_listeners):
        listener()


def trigger_events_process(*, limit: int = CHUNK) -> int:
    """Turn up to ``limit`` changed entities of the outbox into executions, in one
    transaction; returns how many outbox rows were done (0: nothing waits)."""
    with transaction.atomic():
        queryset = TriggerEvent.objects.order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        rows, count = [], 0
        for row in queryset[:500]:
            rows.append(row)
            count += len(row.entity_ids)
            if count >= limit:
                break
        if not rows:
            return 0
        groups: dict[tuple, list[TriggerEvent]] = defaultdict(list)
        for row in rows:
            groups[(row.resource, row.action)].append(row)
        for (resource, action), group in groups.items():
            by_project = defaultdict(list)
            for row in group:
                by_project[row.project_id].append(row)
            triggers = _live_event_triggers(project_ids=list(by_project), resource=resource).select_related(
                "service__package", "service__project"
            )
            for trigger in triggers:
                if action in trigger.actions:
                    _fire(trigger, by_project[trigger.project_id])
        TriggerEvent.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def _matching_refs(trigger: Trigger, rows: list[TriggerEvent]) -> list[tuple[int, dict]]:
    entity, kind, model = KINDS[trigger.resource]
    refs: list[tuple[int, dict]] = []
    deleted = [r for r in rows if r.records is not None]
    for row in deleted:
        for entry in row.records:
            if entity is None or dql.matches(entity, trigger.filters, entry["record"]):
                refs.append((entry["ref"][references.kind_of(kind).key], entry["ref"]))
    changed = [r for r in rows if r.records is None]
    ids = list(dict.fromkeys(i for r in changed for i in r.entity_ids))
    found: dict[int, dict] = {}
    for start in range(0, len(ids), CHUNK):
        # Scoped to the trigger's project: an event never reaches another project's trigger.
        queryset = model.objects.filter(pk__in=ids[start : start + CHUNK])
        queryset = references.in_project(queryset, kind=kind, project_id=trigger.project_id)
        if entity is not None and trigger.filters:
            queryset = dql.filter_queryset(entity, queryset, trigger.filters)
        key = references.kind_of(kind).key
        found.update((ref[key], ref) for ref in references.references(queryset=queryset, kind=kind))
    # One run per event: an entity changed by three events runs three times (``Always``).
    refs.extend((i, found[i]) for r in changed for i in r.entity_ids if i in found)
    return refs


def _first_time(trigger: Trigger, refs: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """``Once``: only entities this trigger has not run on; they are remembered."""
    unique = dict(refs)
    ids = list(unique)
    seen: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        seen.update(
            TriggerOnce.objects.filter(trigger=trigger, entity_id__in=ids[start : start + CHUNK]).values_list(
                "entity_id", flat=True
            )
        )
    fresh = [(i, unique[i]) for i in ids if i not in seen]
    # A concurrent pump claiming the same entity makes this insert fail: the whole batch
    # rolls back and is done again, so nothing runs twice.
    TriggerOnce.objects.bulk_create([TriggerOnce(trigger=trigger, entity_id=i) for i, _ in fresh], batch_size=1000)
    return fresh


def _inputs_for(trigger: Trigger) -> tuple[dict, str, bool] | None:
    try:
        function = function_for(trigger.service, trigger.function_name)
    except (ValidationError, APIException) as exc:
        # The service moved to a revision without that function: nothing to run.
        logger.warning("trigger %s: its function cannot run (%s)", trigger.pk, exc)
        return None
    kind = KINDS[trigger.resource][1]
    name = entity_input_name(function, kind.lower())
    if name is None:
        logger.warning("trigger %s: function %s takes no %s input", trigger.pk, function["name"], kind)
        return None
    is_list = next(io for io in function["inputs"] if io["name"] == name)["type"].endswith("[]")
    return function, name, is_list


def _fire(trigger: Trigger, rows: list[TriggerEvent]) -> None:
    found = _inputs_for(trigger)
    if found is None:
        return
    function, name, is_list = found
    try:
        refs = _matching_refs(trigger, rows)
    except dql.QueryError as exc:
        logger.warning("trigger %s: its filter no longer applies (%s)", trigger.pk, exc)
        return
    # An entity is created once: a Created-only trigger needs no memory of what it ran on.
    if trigger.execution_mode == TriggerExecutionMode.ONCE and set(trigger.actions) != {A.CREATED}:
        refs = _first_time(trigger, refs)
    if refs:
        executions_create_batch(
            service=trigger.service,
            function_name=function["name"],
            inputs=[{name: [ref] if is_list else ref} for _, ref in refs],
            trigger=trigger,
        )
