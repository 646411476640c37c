"""Running a slot: the server checks everything again; the page is never trusted."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from faas.enums import SlotPostActionType, UiBindingPanel
from faas.errors import Conflict
from faas.inputs import entity_input_name, normalise_input
from faas.models import Execution
from faas.selectors.selection import selection_queryset
from faas.selectors.slots import misses_reason, selection_references, slot_find
from faas.services.executions import executions_create_batch, function_for
from workspace.models import Project
from workspace.references import references


def slot_run(
    *,
    project: Project,
    service_id,
    function_name: str,
    resource: str,
    selection,
    panel: str = UiBindingPanel.ALL,
    user=None,
) -> list[Execution]:
    """One execution per selected entity, created in one batch. A click does each piece of work
    once: one activation read, one evaluation of the selection, one function lookup."""
    shown = slot_find(
        project=project, service_id=service_id, function_name=function_name, resource=resource, panel=panel
    )
    if shown is None:
        raise ValidationError(
            {
                "functionName": f"No activated application runs '{function_name}' of service "
                f"{service_id} on {resource}s here."
            }
        )
    if not shown.service.active:
        raise Conflict(f"Service '{shown.service.name}' is paused.")
    if shown.service.broken_reason:
        raise Conflict(f"Service '{shown.service.name}' is broken: {shown.service.broken_reason}")
    refs = None
    if selection is not None:
        queryset = selection_queryset(project=project, resource=resource, selection=selection)
        refs, misses = selection_references(queryset=queryset, resource=resource, query=shown.scope.get("filter") or {})
        reason = misses_reason(resource=resource, misses=misses)
        if reason is not None:
            raise ValidationError({"selection": reason})
    service = shown.service
    function = function_for(service, function_name)
    input_name = entity_input_name(function, resource)
    if input_name is None:
        raise ValidationError({"functionName": f"Function '{function_name}' takes no {resource} input."})
    if refs is None:  # no selection: the same 400 as for a malformed one, after the function's checks
        selection_queryset(project=project, resource=resource, selection=selection)
    if not refs:
        raise ValidationError({"selection": "Nothing is selected."})
    is_list = next(io for io in function["inputs"] if io["name"] == input_name)["type"].endswith("[]")
    inputs = [{input_name: refs}] if is_list else [{input_name: ref} for ref in refs]
    # Recorded on each execution: its rows and live events say what the page does on success.
    post_action = (shown.slot.get("postAction") or {}).get("type") or SlotPostActionType.NO_ACTION
    return executions_create_batch(
        service=service,
        function_name=function_name,
        inputs=inputs,
        user=user,
        require_active=True,
        post_action=post_action,
        function=function,
    )


def batch_run(
    *, service, function_name: str | None, query: dict, resource: str | None = None, user=None, args=None
) -> list[Execution]:
    """``service.execute_batch(filters)``: the function on every entity of the project the query
    matches, each with ``args`` (dtlpy's ``execution_inputs``) as its other inputs."""
    if args is not None and not isinstance(args, dict):
        raise ValidationError({"args": "Must be an object: the function's other inputs by name."})
    function = function_for(service, function_name)
    if resource is None:
        entity_inputs = [
            io for io in function["inputs"] if io["type"].removesuffix("[]") in ("Item", "Annotation", "Task")
        ]
        if not entity_inputs:
            raise ValidationError({"functionName": f"Function '{function['name']}' takes no item, annotation or task."})
        resource = entity_inputs[0]["type"].removesuffix("[]").lower()
    if not isinstance(resource, str):
        raise ValidationError({"resource": "Must be one of item, annotation, task."})
    input_name = entity_input_name(function, resource)
    if input_name is None:
        raise ValidationError({"resource": f"Function '{function['name']}' takes no {resource} input."})
    if args is not None:
        # Checked and made references as one execution's input is, the entity input aside.
        others = {**function, "inputs": [io for io in function["inputs"] if io["name"] != input_name]}
        try:
            args = normalise_input(project=service.project, function=others, input=args)
        except ValidationError as exc:
            raise ValidationError({"args": [m for messages in exc.message_dict.values() for m in messages]}) from None
    queryset = selection_queryset(project=service.project, resource=resource, selection={"all": True, "filter": query})
    refs = references(queryset=queryset, kind=resource)
    return executions_create_batch(
        service=service,
        function_name=function["name"],
        inputs=[{**(args or {}), input_name: ref} for ref in refs],
        user=user,
        function=function,
    )
