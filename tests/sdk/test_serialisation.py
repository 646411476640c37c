"""The JSON the SDK sends is the wire format of docs/design.md ("Vocabulary", "Names shared with Dataloop's SDK")."""

import json

import dataslot as dl


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def test_filters_built_scope_serialises_exactly_as_dtlpy():
    filters = dl.Filters()
    filters.add(field="metadata.system.mimetype", values="image/*")
    scope = dl.SlotDisplayScope(resource=dl.SlotDisplayScopeResource.ITEM, filters=filters)

    assert compact(scope.to_json()) == (
        '{"resource":"item","panel":"all","filter":'
        '{"$and":[{"hidden":false},{"type":"file"},{"metadata.system.mimetype":"image/*"}]}}'
    )


def test_seed_slot_serialises_with_camel_case_names():
    # The seed's example, verbatim apart from the import line.
    slot = dl.PackageSlot(
        module_name="image-processing",
        function_name="rgb2gray",
        display_name="RGB2GRAY",
        post_action=dl.SlotPostAction(type=dl.SlotPostActionType.NO_ACTION),
        display_scopes=[
            dl.SlotDisplayScope(resource=dl.SlotDisplayScopeResource.ITEM, panel=dl.UiBindingPanel.ALL, filters={})
        ],
    )
    assert slot.to_json() == {
        "moduleName": "image-processing",
        "functionName": "rgb2gray",
        "displayName": "RGB2GRAY",
        "postAction": {"type": "noAction"},
        "displayScopes": [{"resource": "item", "panel": "all", "filter": {}}],
        "displayIcon": None,
    }


def test_slot_defaults_and_round_trip():
    slot = dl.PackageSlot()
    assert (slot.module_name, slot.function_name, slot.post_action.type) == ("default_module", "run", "noAction")
    scope = dl.SlotDisplayScope(resource="annotation", panel="studio", filters={"label": "cat"})
    drawn = dl.PackageSlot(
        function_name="detect",
        post_action=dl.SlotPostAction(type=dl.SlotPostActionType.DRAW_ANNOTATION),
        display_scopes=[scope],
        display_icon="icon-dl-edit",
    )
    again = dl.PackageSlot.from_json(json.loads(compact(drawn.to_json())))
    assert again == drawn
    assert again.display_scopes[0].filters == {"label": "cat"}
    assert again.post_action.type is dl.SlotPostActionType.DRAW_ANNOTATION


def test_enums_are_their_wire_strings():
    assert dl.SlotPostActionType.DRAW_ANNOTATION == "drawAnnotation"
    assert dl.ExecutionStatus.IN_PROGRESS == "in-progress"
    assert dl.OnResetAction.RERUN == "rerun"
    assert dl.UiBindingPanel.TABLE == "table"
    assert dl.SlotDisplayScopeResource.TASK == "task"
    assert dl.PackageInputType.ITEMS == "Item[]"
    assert json.dumps({"s": dl.ExecutionStatus.SUCCESS}) == '{"s": "success"}'
    assert f"{dl.OnResetAction.FAILED}" == "failed"


def test_function_io_names_default_from_the_type():
    names = [dl.FunctionIO(type=t).name for t in ("Item", "Annotation", "Dataset", "Task", "Json", "String")]
    assert names == ["item", "annotation", "dataset", "task", "config", "config"]
    assert dl.FunctionIO(type=dl.PackageInputType.STRING, name="color", value="red").to_json() == {
        "type": "String",
        "name": "color",
        "value": "red",
    }


def test_package_module_serialises_its_functions():
    module = dl.PackageModule(
        name="image-processing",
        functions=[
            dl.PackageFunction(
                name="rgb2gray",
                inputs=[dl.FunctionIO(type=dl.PackageInputType.ITEM)],
                outputs=[dl.FunctionIO(type=dl.PackageInputType.ITEM)],
                description="Gray it",
            )
        ],
        init_inputs=[dl.FunctionIO(type="Integer", name="size", value=3)],
    )
    assert module.to_json() == {
        "name": "image-processing",
        "entryPoint": "main.py",
        "className": "ServiceRunner",
        "initInputs": [{"type": "Integer", "name": "size", "value": 3}],
        "functions": [
            {
                "name": "rgb2gray",
                "displayName": None,
                "description": "Gray it",
                "inputs": [{"type": "Item", "name": "item"}],
                "outputs": [{"type": "Item", "name": "item"}],
            }
        ],
    }
    assert dl.PackageModule.from_json(module.to_json()).to_json() == module.to_json()


def test_entities_read_and_write_snake_case_over_camel_case_json():
    service = dl.Service({"id": 3, "executionTimeout": 3600, "onReset": "failed", "initParams": {"a": 1}})
    assert service.execution_timeout == 3600
    assert service.init_input == {"a": 1}
    service.execution_timeout = 60
    service.on_reset = dl.OnResetAction.RERUN
    assert service.to_json() == {"id": 3, "executionTimeout": 60, "onReset": "rerun", "initParams": {"a": 1}}
    execution = dl.Execution({"id": 1, "latestStatus": {"status": "created", "percentComplete": 0}, "toTerminate": 0})
    assert execution.latest_status["percentComplete"] == 0 and execution.to_terminate == 0


def test_package_slots_are_typed_and_assignable():
    package = dl.Package({"id": 1, "version": 2, "slots": [{"moduleName": "m", "functionName": "f"}], "modules": []})
    assert isinstance(package.slots[0], dl.PackageSlot)
    package.slots.append(dl.PackageSlot(module_name="m", function_name="g"))
    assert [s["functionName"] for s in package.to_json()["slots"]] == ["f", "g"]
    package.slots = [dl.PackageSlot(function_name="h")]
    assert package.to_json()["slots"][0]["functionName"] == "h"


def test_annotation_builder_shapes():
    builder = dl.AnnotationBuilder()
    builder.add(annotation_definition=dl.Box(top=10, left=20, bottom=30, right=40, label="car"))
    builder.add(annotation_definition=dl.Point(x=5, y=6, label="eye"))
    builder.add(annotation_definition=dl.Polygon(geo=[[0, 0], [10, 0], [5, 5]], label="roof"))
    builder.add(annotation_definition=dl.Classification(label="day"))
    assert builder.to_json() == [
        {"type": "box", "label": "car", "coordinates": [[20, 10], [40, 30]]},
        {"type": "point", "label": "eye", "coordinates": [[5, 6]]},
        {"type": "polygon", "label": "roof", "coordinates": [[0.0, 0.0], [10.0, 0.0], [5.0, 5.0]]},
        {"type": "classification", "label": "day", "coordinates": []},
    ]


def test_the_sdk_imports_without_django_or_optional_libraries():
    import subprocess
    import sys

    code = "import sys, dataslot; print(sorted(m for m in ('django', 'PIL', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
