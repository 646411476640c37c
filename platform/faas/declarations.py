"""What a package declares, checked: its modules, their functions and inputs, its slots;
and its entry point's code against that, parsed with ``ast``, never imported: the class and
every function exist, and each argument is a declared input (docs/design.md "Packages and
revisions")."""

from __future__ import annotations

import ast

from django.core.exceptions import ValidationError

from faas.enums import (
    PACKAGE_INPUT_TYPES,
    SlotDisplayScopeResource,
    SlotPostActionType,
    UiBindingPanel,
)
from faas.packaging import Archive, member_path
from workspace import dql

# Arguments the runtime passes itself: no declared input needed.
INJECTED_ARGUMENTS = {"self", "progress", "context"}
# The entry point is parsed in the server: its AST costs up to ~500 times its size.
MAX_ENTRY_POINT_BYTES = 256 * 1024


def _is_input_type(value) -> bool:
    return isinstance(value, str) and value.removesuffix("[]") in PACKAGE_INPUT_TYPES


def _check_io(where: str, ios) -> None:
    if not isinstance(ios, list):
        raise ValidationError({"modules": f"{where} must be a list."})
    for io_ in ios:
        if not isinstance(io_, dict) or not isinstance(io_.get("name"), str) or not io_["name"].isidentifier():
            raise ValidationError({"modules": f"{where}: each needs a 'name' that is a Python identifier."})
        if not _is_input_type(io_.get("type")):
            raise ValidationError(
                {
                    "modules": f"{where}: '{io_['name']}' has type {io_.get('type')!r}; "
                    f"expected one of {', '.join(PACKAGE_INPUT_TYPES)} (or a list form such as 'Item[]')."
                }
            )


def normalise_modules(modules) -> list[dict]:
    """Fill defaults (dtlpy's) and check the shape of the modules declaration."""
    if not isinstance(modules, list) or not modules:
        raise ValidationError({"modules": "Declare at least one module (a list of objects)."})
    result = []
    for module in modules:
        if not isinstance(module, dict):
            raise ValidationError({"modules": "Each module must be an object."})
        name = module.get("name") or "default_module"
        functions = []
        for function in module.get("functions") or []:
            if not isinstance(function, dict):
                raise ValidationError({"modules": f"Module '{name}': each function must be an object."})
            fname = function.get("name") or "run"
            if not isinstance(fname, str) or not fname.isidentifier():
                raise ValidationError(
                    {"modules": f"Module '{name}': function name {fname!r} is not a Python identifier."}
                )
            inputs, outputs = function.get("inputs") or [], function.get("outputs") or []
            _check_io(f"Function '{fname}' inputs", inputs)
            _check_io(f"Function '{fname}' outputs", outputs)
            functions.append(
                {
                    "name": fname,
                    "displayName": function.get("displayName") or fname,
                    "description": function.get("description") or "",
                    "inputs": inputs,
                    "outputs": outputs,
                }
            )
        if not functions:
            raise ValidationError({"modules": f"Module '{name}' declares no functions: there would be nothing to run."})
        init_inputs = module.get("initInputs") or []
        _check_io(f"Module '{name}' initInputs", init_inputs)
        result.append(
            {
                "name": name,
                "entryPoint": module.get("entryPoint") or "main.py",
                "className": module.get("className") or "ServiceRunner",
                "initInputs": init_inputs,
                "functions": functions,
            }
        )
    names = [m["name"] for m in result]
    if len(set(names)) != len(names):
        raise ValidationError({"modules": "Module names must be unique."})
    return result


def _refuse(message: str) -> ValidationError:
    # An entry point that cannot be read is the archive's fault, as the API's errors say.
    return ValidationError({"archive": message})


def _parse(source: bytes, entry_point: str) -> ast.Module:
    if len(source) > MAX_ENTRY_POINT_BYTES:
        raise _refuse(
            f"{entry_point} is {len(source)} bytes; an entry point may have {MAX_ENTRY_POINT_BYTES} "
            "(keep the rest of the code in other modules of the package)."
        )
    try:
        return ast.parse(source, filename=entry_point)
    except SyntaxError as exc:  # also a null byte, a bad encoding, too deep a nesting
        raise _refuse(f"{entry_point}{f' line {exc.lineno}' if exc.lineno else ''}: {exc.msg}")
    except (RecursionError, MemoryError):
        raise _refuse(f"{entry_point} cannot be parsed: an expression in it is nested or chained too deeply.")
    except ValueError as exc:
        raise _refuse(f"{entry_point} cannot be parsed: {exc}")


def _class_methods(source: bytes, entry_point: str, class_name: str) -> dict[str, list[str]]:
    tree = _parse(source, entry_point)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            methods = {}
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    args = item.args
                    methods[item.name] = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            return methods
    raise ValidationError({"modules": f"Class '{class_name}' is not defined in {entry_point}."})


def validate_code(archive: Archive, modules: list[dict]) -> None:
    for module in modules:
        entry = member_path(module["entryPoint"])
        if entry not in archive.members:
            raise ValidationError(
                {"archive": f"Module '{module['name']}': entry point '{entry}' is not in the archive."}
            )
        methods = _class_methods(archive.read(entry), entry, module["className"])
        declared_init = {i["name"] for i in module["initInputs"]}
        for arg in methods.get("__init__", []):
            if arg not in INJECTED_ARGUMENTS and arg not in declared_init:
                raise ValidationError(
                    {"modules": f"Module '{module['name']}': __init__ argument '{arg}' is not a declared init input."}
                )
        for function in module["functions"]:
            if function["name"] not in methods:
                raise ValidationError(
                    {
                        "modules": f"Module '{module['name']}': function '{function['name']}' is not a method of "
                        f"{module['className']} in {entry}."
                    }
                )
            declared = {i["name"] for i in function["inputs"]}
            for arg in methods[function["name"]]:
                if arg not in INJECTED_ARGUMENTS and arg not in declared:
                    raise ValidationError(
                        {
                            "modules": f"Function '{function['name']}': argument '{arg}' is not a declared input "
                            f"(declared: {', '.join(sorted(declared)) or 'none'})."
                        }
                    )


def normalise_slots(slots, modules: list[dict]) -> list[dict]:
    """Check each slot names an existing module and function, and its scopes' vocabulary."""
    if slots in (None, ""):
        return []
    if not isinstance(slots, list):
        raise ValidationError({"slots": "Must be a list of slots."})
    by_module = {m["name"]: {f["name"] for f in m["functions"]} for m in modules}
    result = []
    for slot in slots:
        if not isinstance(slot, dict):
            raise ValidationError({"slots": "Each slot must be an object."})
        module_name = slot.get("moduleName") or "default_module"
        function_name = slot.get("functionName") or "run"
        if module_name not in by_module:
            raise ValidationError({"slots": f"Slot names module '{module_name}', which the package does not have."})
        if function_name not in by_module[module_name]:
            raise ValidationError(
                {"slots": f"Slot names function '{function_name}', which module '{module_name}' does not have."}
            )
        post_action = slot.get("postAction") or {"type": SlotPostActionType.NO_ACTION}
        if not isinstance(post_action, dict) or post_action.get("type") not in SlotPostActionType.values:
            raise ValidationError({"slots": f"postAction.type must be one of {', '.join(SlotPostActionType.values)}."})
        scopes = []
        for scope in slot.get("displayScopes") or []:
            if not isinstance(scope, dict) or scope.get("resource") not in SlotDisplayScopeResource.values:
                raise ValidationError(
                    {"slots": f"displayScopes[].resource must be one of {', '.join(SlotDisplayScopeResource.values)}."}
                )
            panel = scope.get("panel") or UiBindingPanel.ALL
            if panel not in UiBindingPanel.values:
                raise ValidationError(
                    {"slots": f"displayScopes[].panel must be one of {', '.join(UiBindingPanel.values)}."}
                )
            query = scope.get("filter") or {}
            try:
                dql.parse(query)
                dql.compile_query(scope["resource"], query)
            except dql.QueryError as exc:
                raise ValidationError({"slots": f"Slot '{function_name}' filter: {exc}"})
            scopes.append({"resource": scope["resource"], "panel": panel, "filter": dql.parse(query)})
        result.append(
            {
                "moduleName": module_name,
                "functionName": function_name,
                "displayName": slot.get("displayName") or function_name,
                "postAction": {"type": post_action["type"]},
                "displayScopes": scopes,
                "displayIcon": slot.get("displayIcon") or "",
            }
        )
    return result
