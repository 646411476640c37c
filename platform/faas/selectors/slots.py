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
from django.db.models import Exists, OuterRef, QuerySet

from faas.enums import SlotDisplayScopeResource, UiBindingPanel
from faas.models import SlotActivation
from faas.selectors.selection import count_not_matching, selection_queryset
from workspace import dql
from workspace.ids import is_id
from workspace.models import Project
from workspace.references import references_with

PAUSED = "Service paused."
BROKEN = "Service broken: {reason}"


@dataclass(frozen=True)
class ResolvedSlot:
    """A slot a page shows; the API writes it as ResolvedSlot, with ``enabled`` and ``reason``."""

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


def slots_for_page(*, project: Project, resource: str, panel: str) -> list[ResolvedSlot]:
    """Activated slots whose scope shows on this page, in a stable order."""
    _check_page(resource, panel)
    activations = SlotActivation.objects.filter(project=project).select_related("service").order_by("service__name")
    return [shown for activation in activations for shown in _shown(activation, resource, panel)]


def _shown(activation: SlotActivation, resource: str, panel: str):
    """The activation's slots that show on this page, each with its first scope there."""
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
            yield ResolvedSlot(activation, slot, scope)


def service_unavailable(service) -> str | None:
    """Why no slot of this service can run at all (paused, broken), or None."""
    if not service.active:
        return PAUSED
    if service.broken_reason:
        return BROKEN.format(reason=service.broken_reason)
    return None


def slot_reason(*, shown: ResolvedSlot, project: Project, resource: str, selection) -> str | None:
    """Why the slot cannot run on this selection, or None when it can."""
    unavailable = service_unavailable(shown.service)
    if unavailable is not None:
        return unavailable
    if selection is None:
        return None
    queryset = selection_queryset(project=project, resource=resource, selection=selection)
    return misses_reason(
        resource=resource,
        misses=count_not_matching(queryset=queryset, resource=resource, query=shown.scope.get("filter") or {}),
    )


def misses_reason(*, resource: str, misses: int) -> str | None:
    """Why a slot cannot run when its scope's filter excludes ``misses`` selected entities."""
    if misses:
        noun = resource if misses == 1 else f"{resource}s"
        return f"{misses} selected {noun} do{'es' if misses == 1 else ''} not match this application's filter."
    return None


def selection_references(*, queryset: QuerySet, resource: str, query: dict) -> tuple[list[dict], int]:
    """The selection's references (as ``workspace.references.references``, in id order) and how
    many of them a scope's filter excludes, from one query: a click resolves its selection once."""
    columns: tuple[str, ...] = ()
    if query:
        # Per row, exactly what count_not_matching counts: the row is in ``exclude(filter)``.
        rest = queryset.model._base_manager.filter(pk=OuterRef("pk")).exclude(dql.compile_query(resource, query))
        queryset = queryset.annotate(slot_miss=Exists(rest))
        columns = ("slot_miss",)
    rows = references_with(queryset=queryset, kind=resource, columns=columns)
    return [ref for ref, _ in rows], sum(1 for _, extra in rows if extra and extra[0])


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


def slot_find(*, project: Project, service_id, function_name: str, resource: str, panel: str) -> ResolvedSlot | None:
    """The clicked slot: the named service's one activation here (not a scan of them all),
    with its service and package, which the run reads next."""
    _check_page(resource, panel)
    if not is_id(service_id):
        return None
    activation = (
        SlotActivation.objects.filter(project=project, service_id=service_id).select_related("service__package").first()
    )
    if activation is None:
        return None
    return next((s for s in _shown(activation, resource, panel) if s.slot["functionName"] == function_name), None)
