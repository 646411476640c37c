"""Triggers: a service's function run on events of the workspace (``Event``) or on a
schedule (``Cron``), as dtlpy's ``service.triggers.create(...)``. This module is the trigger
itself: what a spec may say (one 400 naming every wrong field), and creating, changing and
deleting it. What makes a trigger run lives beside it: ``faas.services.trigger_events``
(the outbox of workspace events and the pump's turn) and ``faas.services.trigger_schedule``
(cron fire times, embedded or on Celery beat).
"""

from __future__ import annotations

from croniter import croniter
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import APIException

from faas.enums import TriggerAction, TriggerExecutionMode, TriggerResource, TriggerType
from faas.inputs import entity_input_name, normalise_input
from faas.models import Service, Trigger
from faas.services.executions import function_for
from workspace import dql
from workspace.models import Annotation, Dataset, Item, Task

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
