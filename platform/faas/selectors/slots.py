"""Which slots a page shows, for which selection, enabled or not and why (docs/design.md "Slots and display scopes").

| page | resource, panel that show there |
| dataset browser grid | item with browser or all |
| dataset browser table | item with table or all |
| annotation studio | item and annotation with studio or all |
| tasks browser | task with browser or all |
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from faas.enums import SlotDisplayScopeResource, UiBindingPanel
from faas.models import SlotActivation
from faas.selectors.selection import count_not_matching, selection_queryset
from workspace.models import Project

PAUSED = "Service paused."
BROKEN = "Service broken: {reason}"


@dataclass(frozen=True)
class ShownSlot:
    activation: SlotActivation
    slot: dict
    scope: dict

    @property
    def service(self):
        return self.activation.service


def _check_page(resource: str, panel: str) -> None:
    if resource not in SlotDisplayScopeResource.values:
        raise ValidationError({"resource": f"Must be one of {', '.join(SlotDisplayScopeResource.values)}."})
    if panel not in UiBindingPanel.values:
        raise ValidationError({"panel": f"Must be one of {', '.join(UiBindingPanel.values)}."})


def slots_for_page(*, project: Project, resource: str, panel: str) -> list[ShownSlot]:
    """Activated slots whose scope shows on this page, in a stable order."""
    _check_page(resource, panel)
    shown = []
    activations = SlotActivation.objects.filter(project=project).select_related("service").order_by("service__name")
    for activation in activations:
        for slot in activation.slots:
            scope = next(
                (
                    s
                    for s in slot["displayScopes"]
                    if s["resource"] == resource and s["panel"] in (panel, UiBindingPanel.ALL)
                ),
                None,
            )
            if scope is not None:
                shown.append(ShownSlot(activation, slot, scope))
    return shown


def service_unavailable(service) -> str | None:
    """Why no slot of this service can run at all (paused, broken), or None."""
    if not service.active:
        return PAUSED
    if service.broken_reason:
        return BROKEN.format(reason=service.broken_reason)
    return None


def slot_reason(*, shown: ShownSlot, project: Project, resource: str, selection) -> str | None:
    """Why the slot cannot run on this selection, or None when it can."""
    unavailable = service_unavailable(shown.service)
    if unavailable is not None:
        return unavailable
    if selection is None:
        return None
    queryset = selection_queryset(project=project, resource=resource, selection=selection)
    misses = count_not_matching(queryset=queryset, resource=resource, query=shown.scope.get("filter") or {})
    if misses:
        noun = resource if misses == 1 else f"{resource}s"
        return f"{misses} selected {noun} do{'es' if misses == 1 else ''} not match this application's filter."
    return None


def slots_for_selection(*, project: Project, resource: str, panel: str, selection=None) -> list[dict]:
    """The slots of a page with ``enabled`` and ``reason`` for a selection (None: no selection yet)."""
    result = []
    for shown in slots_for_page(project=project, resource=resource, panel=panel):
        reason = slot_reason(shown=shown, project=project, resource=resource, selection=selection)
        result.append(
            {
                **shown.slot,
                "serviceId": shown.service.id,
                "serviceName": shown.service.name,
                "enabled": reason is None,
                "reason": reason,
            }
        )
    return result


def slot_find(*, project: Project, service_id, function_name: str, resource: str, panel: str) -> ShownSlot | None:
    return next(
        (
            s
            for s in slots_for_page(project=project, resource=resource, panel=panel)
            if s.service.id == service_id and s.slot["functionName"] == function_name
        ),
        None,
    )
