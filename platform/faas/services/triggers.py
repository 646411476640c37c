"""Triggers: a service's function run on events of the workspace (``Event``) or on a
schedule (``Cron``), as dtlpy's ``service.triggers.create(...)``.

Events: the workspace's services call ``workspace.events.entities_changed`` inside the
transaction that changes entities; ``event_record`` (subscribed in ``faas.apps``) writes one
``TriggerEvent`` outbox row there when a live trigger of the project listens, so the event
exists exactly when the change committed. The trigger pump of every dispatcher
(``faas/trigger_pump.py``) turns outbox rows into executions, in batches, and deletes them
in the same transaction: exactly once per event, after the commit that caused it, never
inside the request that uploaded the items.

Cron, embedded: ``triggers_cron_fire`` (the pump's) runs the schedule's latest due fire time
of each active cron trigger; a conditional update of ``last_fired_at`` and the unique
``(trigger, fire_at)`` row claim it, so any number of dispatchers may call it and each fire
time runs once. Cron, scale-out: Celery beat (``runner/beat.py``) sends each fire time of
``cron_fire_times`` as a message and a worker runs ``trigger_cron_fire_at``; the unique row
claims it, so two beats, or a message delivered twice, still run it once.

Executions are created by ``executions_create_batch``, as every other execution, so both
executor modes run them; each records its trigger.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from croniter import croniter
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import APIException

from faas.enums import TriggerAction, TriggerExecutionMode, TriggerResource, TriggerType
from faas.inputs import entity_input_name, normalise_input
from faas.models import Service, Trigger, TriggerEvent, TriggerFire, TriggerOnce
from faas.services.executions import executions_create_batch, function_for
from workspace import dql, references
from workspace.dql.syntax import FIELDS
from workspace.models import Annotation, Dataset, Item, Task
from workspace.representations import annotation_json, dataset_json, item_json, task_json

logger = logging.getLogger(__name__)

A = TriggerAction
# The actions that mean something for each resource; any other pair is refused.
ACTIONS = {
    TriggerResource.ITEM: {A.CREATED, A.UPDATED, A.DELETED},
    TriggerResource.ANNOTATION: {A.CREATED, A.UPDATED, A.DELETED},
    # A task's status changed (open, in-progress, completed); it is Updated as well.
    TriggerResource.TASK: {A.CREATED, A.UPDATED, A.DELETED, A.STATUS_CHANGED},
    TriggerResource.DATASET: {A.CREATED, A.UPDATED, A.DELETED},
    # A task item's status changed (marked done or not done); dtlpy also writes it Updated.
    TriggerResource.ITEM_STATUS: {A.STATUS_CHANGED, A.UPDATED},
}
# resource -> (DQL entity of its filter, the input type the function takes, model)
KINDS = {
    TriggerResource.ITEM: ("item", "Item", Item),
    TriggerResource.ITEM_STATUS: ("item", "Item", Item),
    TriggerResource.ANNOTATION: ("annotation", "Annotation", Annotation),
    TriggerResource.TASK: ("task", "Task", Task),
    TriggerResource.DATASET: (None, "Dataset", Dataset),
}
# A cron fire time missed by more than this (the service was paused, every dispatcher was
# down) is skipped rather than run late.
MISFIRE_GRACE = timedelta(seconds=60)
# Beat's fire times (``trigger_cron_fire_at``) are claimed by their unique row alone, as
# their messages may arrive in any order; a row is kept this long, then pruned as the
# trigger fires again. A message older than MISFIRE_GRACE is refused anyway, so a row that
# outlives the grace is all "exactly once" needs.
FIRE_RETENTION = timedelta(hours=1)
CHUNK = 2000  # entity ids per query, and per pump transaction

EDITABLE = {"name", "active", "functionName", "resource", "actions", "filters", "executionMode"}
EDITABLE |= {"cron", "startAt", "endAt", "inputs"}


# --- create, update, delete --------------------------------------------------------------


def _choice(value, choices, field: str, errors: dict):
    if value in choices.values:
        return value
    if isinstance(value, str):  # dtlpy users write the enum's name, too ("ITEM_STATUS")
        by_name = {c.name.lower(): c.value for c in choices}
        if value.lower().replace("-", "_") in by_name:
            return by_name[value.lower().replace("-", "_")]
    errors[field] = [f"Must be one of {', '.join(choices.values)}, got {value!r}."]
    return None


def _moment(value, field: str, errors: dict):
    if value is None or value == "":
        return None
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        errors[field] = [f"Must be an ISO 8601 date-time such as 2026-01-31T09:00:00Z, got {value!r}."]
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.UTC)


def _clean(*, service: Service, spec: dict) -> dict:
    """Every field checked at once; a 400 names each field that is wrong."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    name = spec.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        errors["name"] = ["A name is text of 1 to 200 characters."]
    elif name is not None:
        fields["name"] = name.strip()
    active = spec.get("active", True)
    if not isinstance(active, bool):
        errors["active"] = ["Must be true or false."]
    fields["active"] = active
    kind = _choice(spec.get("type") or TriggerType.EVENT, TriggerType, "type", errors)
    fields["type"] = kind
    function = None
    try:
        function = function_for(service, spec.get("functionName") or "run")
        fields["function_name"] = function["name"]
    except ValidationError as exc:
        errors["functionName"] = exc.message_dict.get("functionName") or exc.messages
    except APIException as exc:
        errors["functionName"] = [str(exc.detail)]
    if kind == TriggerType.EVENT:
        _clean_event(spec=spec, function=function, fields=fields, errors=errors)
    elif kind == TriggerType.CRON:
        _clean_cron(service=service, spec=spec, function=function, fields=fields, errors=errors)
    if errors:
        raise ValidationError(errors)
    return fields


def _clean_event(*, spec: dict, function: dict | None, fields: dict, errors: dict) -> None:
    resource = _choice(spec.get("resource") or TriggerResource.ITEM, TriggerResource, "resource", errors)
    actions = spec.get("actions")
    if actions is None:
        actions = [A.CREATED]
    if isinstance(actions, str):
        actions = [actions]
    if not isinstance(actions, list) or not actions:
        errors["actions"] = ["A list of one or more of " + ", ".join(A.values) + "."]
        actions = []
    cleaned = []
    for action in actions:
        value = _choice(action, A, "actions", errors)
        if value is None:
            break
        if resource is not None and value not in ACTIONS[resource]:
            allowed = ", ".join(sorted(ACTIONS[resource]))
            errors["actions"] = [f"'{value}' means nothing for {resource}: use {allowed}."]
            break
        if value not in cleaned:
            cleaned.append(value)
    filters = spec.get("filters", spec.get("filter"))
    try:
        filters = dql.parse(filters)
        entity = KINDS[resource][0] if resource else None
        if entity is not None:
            dql.compile_query(entity, filters)
        elif filters:
            errors["filters"] = [f"{resource} triggers take no filter (DQL has no {resource} fields)."]
    except dql.QueryError as exc:
        errors["filters"] = [str(exc)]
    mode = _choice(
        spec.get("executionMode") or TriggerExecutionMode.ONCE, TriggerExecutionMode, "executionMode", errors
    )
    if function is not None and resource is not None:
        wanted = KINDS[resource][1]
        if entity_input_name(function, wanted.lower()) is None:
            errors.setdefault(
                "functionName",
                [f"Function '{function['name']}' takes no {wanted} input, which a {resource} trigger passes it."],
            )
    fields.update(resource=resource, actions=cleaned, filters=filters, execution_mode=mode)
    fields.update(cron="", start_at=None, end_at=None, inputs={})


def _clean_cron(*, service: Service, spec: dict, function: dict | None, fields: dict, errors: dict) -> None:
    cron = spec.get("cron")
    if not isinstance(cron, str) or not croniter.is_valid(cron.strip()):
        errors["cron"] = [
            f"Not a cron expression: {cron!r} (five fields, minute hour day month weekday, "
            "and an optional sixth for seconds; UTC)."
        ]
    else:
        fields["cron"] = cron.strip()
    start_at = _moment(spec.get("startAt"), "startAt", errors)
    end_at = _moment(spec.get("endAt"), "endAt", errors)
    if start_at and end_at and end_at <= start_at:
        errors["endAt"] = ["Must be after startAt."]
    inputs = spec.get("inputs") or {}
    if function is not None:
        try:
            inputs = normalise_input(project=service.project, function=function, input=inputs)
        except ValidationError as exc:
            errors["inputs"] = exc.message_dict.get("input") or exc.messages
    fields.update(start_at=start_at, end_at=end_at, inputs=inputs)
    fields.update(resource="", actions=[], filters={}, execution_mode=TriggerExecutionMode.ALWAYS)


def _name_free(*, service: Service, name: str, exclude=None) -> None:
    if Trigger.objects.filter(service=service, name=name).exclude(pk=exclude).exists():
        raise ValidationError({"name": [f"Service '{service.name}' already has a trigger named {name!r}."]})


def trigger_create(*, service: Service, spec: dict, user=None) -> Trigger:
    """``spec`` in the API's words (``functionName``, ``resource``, ``actions``, ``filters``,
    ``executionMode``, ``type``, ``cron``, ``startAt``, ``endAt``, ``inputs``)."""
    fields = _clean(service=service, spec=spec)
    fields.setdefault("name", _default_name(service, fields))
    _name_free(service=service, name=fields["name"])
    trigger = Trigger(
        project_id=service.project_id,
        service=service,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **fields,
    )
    trigger.full_clean()
    trigger.save()
    return trigger


def _default_name(service: Service, fields: dict) -> str:
    what = fields["cron"] if fields["type"] == TriggerType.CRON else fields["resource"].lower()
    base = f"{fields['function_name']}-{what}"[:190].replace(" ", "")
    name, n = base, 1
    while Trigger.objects.filter(service=service, name=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def trigger_update(*, trigger: Trigger, changes: dict) -> Trigger:
    """Change what the API allows; everything is checked again as on create."""
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise ValidationError({"detail": [f"Not editable: {', '.join(unknown)}."]})
    current = trigger_spec(trigger)
    fields = _clean(service=trigger.service, spec={**current, **changes})
    if "name" in fields:
        _name_free(service=trigger.service, name=fields["name"], exclude=trigger.pk)
    for key, value in fields.items():
        setattr(trigger, key, value)
    trigger.full_clean()
    trigger.save()
    return trigger


def trigger_set_active(*, trigger: Trigger, active: bool) -> Trigger:
    return trigger_update(trigger=trigger, changes={"active": active})


def trigger_delete(*, trigger: Trigger) -> None:
    trigger.delete()


def trigger_spec(trigger: Trigger) -> dict:
    """A trigger's editable fields in the API's words (what ``_clean`` reads)."""
    return {
        "name": trigger.name,
        "active": trigger.active,
        "type": trigger.type,
        "functionName": trigger.function_name,
        "resource": trigger.resource or None,
        "actions": list(trigger.actions),
        "filters": trigger.filters,
        "executionMode": trigger.execution_mode,
        "cron": trigger.cron or None,
        "startAt": trigger.start_at.isoformat() if trigger.start_at else None,
        "endAt": trigger.end_at.isoformat() if trigger.end_at else None,
        "inputs": trigger.inputs,
    }


# --- events: recorded in the change's transaction, turned into executions by the pump ----


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


# --- cron ----------------------------------------------------------------------------------


def _due(trigger: Trigger, now: datetime) -> datetime | None:
    """The schedule's latest fire time at or before ``now`` that should run, or None."""
    if trigger.end_at and now > trigger.end_at:
        now = trigger.end_at
    # croniter's get_prev is strictly before its base: start a second later so that a fire
    # time equal to ``now`` counts, and step back past anything after ``now``.
    schedule = croniter(trigger.cron, now + timedelta(seconds=1))
    fire_at = schedule.get_prev(datetime)
    while fire_at > now:
        fire_at = schedule.get_prev(datetime)
    floor = max(trigger.created_at, trigger.start_at or trigger.created_at)
    if fire_at < floor or now - fire_at > MISFIRE_GRACE:
        return None
    if trigger.last_fired_at and fire_at <= trigger.last_fired_at:
        return None
    return fire_at


def triggers_cron_fire(*, now: datetime | None = None) -> int:
    """Run every cron trigger whose fire time has come; safe to call from any number of
    dispatchers at once. Returns how many fire times this call ran."""
    now = now or timezone.now()
    fired = 0
    due_triggers = Trigger.objects.filter(type=TriggerType.CRON, active=True, service__active=True).select_related(
        "service__package", "service__project"
    )
    for trigger in due_triggers:
        try:
            fire_at = _due(trigger, now)
        except (ValueError, KeyError) as exc:  # a schedule croniter accepted once and not now
            logger.warning("trigger %s: cannot compute its schedule (%s)", trigger.pk, exc)
            continue
        if fire_at is None:
            continue
        try:
            with transaction.atomic():
                # The claim: only one caller moves last_fired_at past this fire time.
                claimed = (
                    Trigger.objects.filter(pk=trigger.pk, active=True)
                    .filter(Q(last_fired_at__isnull=True) | Q(last_fired_at__lt=fire_at))
                    .update(last_fired_at=fire_at)
                )
                if not claimed:
                    continue
                TriggerFire.objects.create(trigger=trigger, fire_at=fire_at)
                TriggerFire.objects.filter(trigger=trigger, fire_at__lt=fire_at).delete()
                executions_create_batch(
                    service=trigger.service,
                    function_name=trigger.function_name,
                    inputs=[trigger.inputs],
                    trigger=trigger,
                )
                fired += 1
        except IntegrityError:
            continue  # another dispatcher ran this fire time
        except (ValidationError, APIException) as exc:
            logger.warning("trigger %s: could not queue its run (%s)", trigger.pk, exc)
    return fired


# --- cron on Celery beat (scale-out) -------------------------------------------------------

MAX_FIRE_TIMES = 1000  # fire times computed at once: a lookback never floods the broker


def cron_schedule_triggers():
    """Every cron trigger with what beat needs to schedule it (paused ones too: beat skips
    their fire times rather than catching up on them after the resume)."""
    return (
        Trigger.objects.filter(type=TriggerType.CRON)
        .select_related("service")
        .only("id", "cron", "start_at", "end_at", "created_at", "last_fired_at", "active", "service__active")
    )


def cron_live(trigger: Trigger) -> bool:
    return trigger.active and trigger.service.active


def cron_fire_times(trigger: Trigger, *, after: datetime, until: datetime) -> list[datetime]:
    """The schedule's fire times in ``(after, until]`` that may run: none before the trigger
    was created or its startAt, none after its endAt."""
    floor = max(trigger.created_at, trigger.start_at or trigger.created_at)
    if trigger.end_at and until > trigger.end_at:
        until = trigger.end_at
    # get_next is strictly after its base: a microsecond before the floor lets the floor count.
    schedule = croniter(trigger.cron, max(after, floor - timedelta(microseconds=1)))
    times: list[datetime] = []
    while len(times) < MAX_FIRE_TIMES:
        fire_at = schedule.get_next(datetime)
        if fire_at > until:
            break
        times.append(fire_at)
    return times


def cron_next_fire(trigger: Trigger, *, after: datetime) -> datetime | None:
    """The schedule's first fire time after ``after`` (None past its endAt)."""
    floor = max(trigger.created_at, trigger.start_at or trigger.created_at)
    fire_at = croniter(trigger.cron, max(after, floor - timedelta(microseconds=1))).get_next(datetime)
    return None if trigger.end_at and fire_at > trigger.end_at else fire_at


def trigger_cron_fire_at(*, trigger_id: int, fire_at: datetime, now: datetime | None = None) -> bool:
    """Run one fire time a beat sent, unless it ran already, the trigger or its service is
    paused or gone, it is not on the schedule, or it is later than MISFIRE_GRACE. Returns
    whether this call ran it."""
    now = now or timezone.now()
    trigger = (
        Trigger.objects.filter(pk=trigger_id, type=TriggerType.CRON)
        .select_related("service__package", "service__project")
        .first()
    )
    if trigger is None or not cron_live(trigger):
        return False
    if now - fire_at > MISFIRE_GRACE:
        logger.warning("trigger %s: fire time %s skipped, %s late", trigger.pk, fire_at.isoformat(), now - fire_at)
        return False
    try:
        if cron_fire_times(trigger, after=fire_at - timedelta(microseconds=1), until=fire_at) != [fire_at]:
            logger.warning("trigger %s: %s is not one of its fire times", trigger.pk, fire_at.isoformat())
            return False
        with transaction.atomic():
            # The claim: the unique (trigger, fire_at) row, whichever message comes first.
            TriggerFire.objects.create(trigger=trigger, fire_at=fire_at)
            Trigger.objects.filter(pk=trigger.pk).filter(
                Q(last_fired_at__isnull=True) | Q(last_fired_at__lt=fire_at)
            ).update(last_fired_at=fire_at)
            TriggerFire.objects.filter(trigger=trigger, fire_at__lt=fire_at - FIRE_RETENTION).delete()
            executions_create_batch(
                service=trigger.service, function_name=trigger.function_name, inputs=[trigger.inputs], trigger=trigger
            )
    except IntegrityError:
        return False  # another message of this fire time ran it
    except (ValueError, KeyError) as exc:  # a schedule croniter accepted once and not now
        logger.warning("trigger %s: cannot compute its schedule (%s)", trigger.pk, exc)
        return False
    except (ValidationError, APIException) as exc:
        logger.warning("trigger %s: could not queue its run (%s)", trigger.pk, exc)
        return False
    return True
