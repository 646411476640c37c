"""What a package declares: modules, their functions, and typed inputs/outputs."""

from __future__ import annotations

from dataslot.enums import PackageInputType

_DEFAULT_IO_NAMES = {
    PackageInputType.ITEM: "item",
    PackageInputType.ANNOTATION: "annotation",
    PackageInputType.DATASET: "dataset",
    PackageInputType.TASK: "task",
    PackageInputType.ITEMS: "items",
    PackageInputType.ANNOTATIONS: "annotations",
    PackageInputType.DATASETS: "datasets",
    PackageInputType.TASKS: "tasks",
}


class FunctionIO:
    def __init__(self, type, name: str | None = None, value=None, description: str | None = None):  # noqa: A002
        self.type = _io_type(type)
        self.name = name or _DEFAULT_IO_NAMES.get(self.type, "config")
        self.value = value
        self.description = description

    def to_json(self) -> dict:
        json = {"type": str(self.type), "name": self.name}
        if self.value is not None:
            json["value"] = self.value
        if self.description is not None:
            json["description"] = self.description
        return json

    @classmethod
    def from_json(cls, json: dict) -> FunctionIO:
        return cls(
            type=json["type"], name=json.get("name"), value=json.get("value"), description=json.get("description")
        )

    def __repr__(self) -> str:
        return f"FunctionIO(type={str(self.type)!r}, name={self.name!r})"


class PackageFunction:
    def __init__(
        self, name: str = "run", inputs=None, outputs=None, description: str = "", display_name: str | None = None
    ):
        self.name = name
        self.inputs = _ios(inputs)
        self.outputs = _ios(outputs)
        self.description = description
        self.display_name = display_name

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "displayName": self.display_name,
            "description": self.description,
            "inputs": [i.to_json() for i in self.inputs],
            "outputs": [o.to_json() for o in self.outputs],
        }

    @classmethod
    def from_json(cls, json: dict) -> PackageFunction:
        # dtlpy's package.json says "input"/"output" (singular); its API says "inputs"/"outputs".
        return cls(
            name=json.get("name", "run"),
            inputs=json.get("inputs", json.get("input")),
            outputs=json.get("outputs", json.get("output")),
            description=json.get("description") or "",
            display_name=json.get("displayName"),
        )

    def __repr__(self) -> str:
        return f"PackageFunction(name={self.name!r}, inputs={self.inputs!r})"


class PackageModule:
    def __init__(
        self,
        name: str = "default_module",
        entry_point: str = "main.py",
        class_name: str = "ServiceRunner",
        init_inputs=None,
        functions=None,
    ):
        self.name = name
        self.entry_point = entry_point
        self.class_name = class_name
        self.init_inputs = _ios(init_inputs)
        if isinstance(functions, PackageFunction | dict):
            functions = [functions]  # dtlpy takes a single function too
        self.functions = [
            f if isinstance(f, PackageFunction) else PackageFunction.from_json(f) for f in functions or []
        ]

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "entryPoint": self.entry_point,
            "className": self.class_name,
            "initInputs": [i.to_json() for i in self.init_inputs],
            "functions": [f.to_json() for f in self.functions],
        }

    @classmethod
    def from_json(cls, json: dict) -> PackageModule:
        return cls(
            name=json.get("name", "default_module"),
            entry_point=json.get("entryPoint", "main.py"),
            class_name=json.get("className", "ServiceRunner"),
            init_inputs=json.get("initInputs", json.get("init_inputs")),
            functions=json.get("functions"),
        )

    def function(self, name: str | None) -> PackageFunction | None:
        """The named function, or with no name the module's default (its only one, or ``run``)."""
        if name is None:
            if len(self.functions) == 1:
                return self.functions[0]
            name = "run"
        return next((f for f in self.functions if f.name == name), None)

    def __repr__(self) -> str:
        return f"PackageModule(name={self.name!r}, functions={[f.name for f in self.functions]!r})"


def _io_type(value):
    try:
        return PackageInputType(value)
    except ValueError:
        return str(value)  # an unknown type is the server's to refuse, with its message


def _ios(values) -> list[FunctionIO]:
    # dtlpy takes one FunctionIO (or one dict) where a list is meant.
    if isinstance(values, FunctionIO | dict):
        values = [values]
    return [v if isinstance(v, FunctionIO) else FunctionIO.from_json(v) for v in values or []]


def module_from(value) -> PackageModule:
    return value if isinstance(value, PackageModule) else PackageModule.from_json(value)
