"""UI slots: a function bound to a button, where it shows, and what follows its run."""

from __future__ import annotations

from dataslot.enums import SlotDisplayScopeResource, SlotPostActionType, UiBindingPanel
from dataslot.filters import Filters


class SlotPostAction:
    def __init__(self, type=SlotPostActionType.NO_ACTION):  # noqa: A002 - dtlpy's argument name
        self.type = SlotPostActionType(type)

    def to_json(self) -> dict:
        return {"type": self.type.value}

    @classmethod
    def from_json(cls, json: dict | None) -> SlotPostAction:
        return cls(type=(json or {}).get("type") or SlotPostActionType.NO_ACTION)

    def __eq__(self, other) -> bool:
        return isinstance(other, SlotPostAction) and other.type == self.type

    def __repr__(self) -> str:
        return f"SlotPostAction(type={self.type.value!r})"


class SlotDisplayScope:
    """Where a slot shows: a resource, a panel, and a DQL ``filters`` its entities must match."""

    def __init__(self, resource, panel=UiBindingPanel.ALL, filters=None):
        self.resource = SlotDisplayScopeResource(resource)
        self.panel = UiBindingPanel(panel)
        self.filters = filters

    def to_json(self) -> dict:
        query = self.filters.prepare() if isinstance(self.filters, Filters) else self.filters
        return {"resource": self.resource.value, "panel": self.panel.value, "filter": query or {}}

    @classmethod
    def from_json(cls, json: dict) -> SlotDisplayScope:
        return cls(
            resource=json["resource"],
            panel=json.get("panel") or UiBindingPanel.ALL,
            filters=json.get("filter", json.get("filters")),
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, SlotDisplayScope) and other.to_json() == self.to_json()

    def __repr__(self) -> str:
        return f"SlotDisplayScope(resource={self.resource.value!r}, panel={self.panel.value!r})"


class PackageSlot:
    def __init__(
        self,
        module_name: str = "default_module",
        function_name: str = "run",
        display_name: str | None = None,
        post_action: SlotPostAction | None = None,
        display_scopes: list[SlotDisplayScope] | None = None,
        display_icon: str | None = None,
        default_inputs: list | None = None,
        input_options: list | None = None,
    ):
        self.module_name = module_name
        self.function_name = function_name
        self.display_name = display_name
        self.post_action = post_action or SlotPostAction()
        self.display_scopes = list(display_scopes or [])
        self.display_icon = display_icon
        self.default_inputs = default_inputs
        self.input_options = input_options

    def to_json(self) -> dict:
        json = {
            "moduleName": self.module_name,
            "functionName": self.function_name,
            "displayName": self.display_name,
            "postAction": _post_action_json(self.post_action),
            "displayScopes": [_scope_json(s) for s in self.display_scopes],
            "displayIcon": self.display_icon,
        }
        if self.default_inputs is not None:
            json["defaultInputs"] = self.default_inputs
        if self.input_options is not None:
            json["inputOptions"] = self.input_options
        return json

    @classmethod
    def from_json(cls, json: dict) -> PackageSlot:
        return cls(
            module_name=json.get("moduleName", "default_module"),
            function_name=json.get("functionName", "run"),
            display_name=json.get("displayName"),
            post_action=SlotPostAction.from_json(json.get("postAction")),
            display_scopes=[SlotDisplayScope.from_json(s) for s in json.get("displayScopes") or []],
            display_icon=json.get("displayIcon"),
            default_inputs=json.get("defaultInputs"),
            input_options=json.get("inputOptions"),
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, PackageSlot) and other.to_json() == self.to_json()

    def __repr__(self) -> str:
        return (
            f"PackageSlot(module_name={self.module_name!r}, function_name={self.function_name!r}, "
            f"display_name={self.display_name!r})"
        )


def _post_action_json(value) -> dict:
    if isinstance(value, SlotPostAction):
        return value.to_json()
    if isinstance(value, dict):
        return value
    return {"type": SlotPostActionType(value).value}  # a bare type string


def _scope_json(value) -> dict:
    return value.to_json() if isinstance(value, SlotDisplayScope) else value


def slot_from(value) -> PackageSlot:
    return value if isinstance(value, PackageSlot) else PackageSlot.from_json(value)
