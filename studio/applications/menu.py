"""The Applications menu's first render: the page's activated slots, from
``faas.selectors.slots.slots_for_selection`` (the same answer as the resolve API)."""

from __future__ import annotations

from faas.selectors.slots import slots_for_selection

SELECT_FIRST = "Select something first."
RESOURCE_LABELS = {"item": "Items", "annotation": "Annotations", "task": "Tasks"}


def menu_groups(*, project, resources: str, panel: str) -> dict:
    """``resources`` is one resource or several, comma-separated (the studio offers
    item and annotation slots in one menu). Nothing is selected yet, so a runnable
    slot starts disabled with ``SELECT_FIRST``; the script resolves the real selection."""
    groups = []
    for resource in [r.strip() for r in resources.split(",") if r.strip()]:
        slots = []
        for slot in slots_for_selection(project=project, resource=resource, panel=panel):
            slots.append(
                {
                    "key": f"{slot['serviceId']}:{slot['functionName']}",
                    "service_id": slot["serviceId"],
                    "service_name": slot["serviceName"],
                    "function_name": slot["functionName"],
                    "display_name": slot.get("displayName") or slot["functionName"],
                    "icon": slot.get("displayIcon") or "",
                    "reason": slot["reason"] or SELECT_FIRST,
                }
            )
        groups.append({"resource": resource, "label": RESOURCE_LABELS.get(resource, resource), "slots": slots})
    return {"groups": groups, "grouped": len(groups) > 1, "count": sum(len(g["slots"]) for g in groups)}
