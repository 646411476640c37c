"""The names, signatures and JSON a dtlpy script relies on, without a server."""

import json
import logging

import pytest

import dataslot as dl
from dataslot.repositories.functions import function_inputs, function_source


def test_box_takes_dtlpys_order_left_top_right_bottom():
    box = dl.Box(2, 3, 12, 13, "cat")
    assert box.to_json() == {"type": "box", "label": "cat", "coordinates": [[2, 3], [12, 13]]}


def test_the_builder_is_an_annotation_collection_and_keeps_model_info_as_dtlpy_does():
    collection = dl.AnnotationCollection()
    collection.add(dl.Box(left=1, top=2, right=3, bottom=4, label="cat"), model_info={"name": "m", "confidence": 0.5})
    assert dl.AnnotationBuilder is dl.AnnotationCollection and len(collection) == 1
    assert collection[0].label == "cat"
    assert collection.to_json()[0]["metadata"] == {
        "user": {"model": {"confidence": 0.5, "name": "m", "model_id": None}}
    }
    with pytest.raises(ValueError, match="confidence"):
        collection.add(dl.Point(1, 1, "eye"), model_info={"name": "m"})


def test_filters_take_dtlpys_resource_names_context_page_size_and_joins():
    assert dl.FiltersResource("items") is dl.FiltersResource.ITEM
    assert dl.Filters(resource="annotations").prepare() == {}
    filters = dl.Filters(field="dir", values="/a", context={"datasets": [7]}, page_size=50)
    assert filters.prepare() == {
        "$and": [{"hidden": False}, {"type": "file"}, {"dir": "/a"}, {"datasetId": {"$in": [7]}}]
    }
    assert filters.page_size == 50
    filters.add_join(field="label", values="dog")
    assert filters.join_query() == {"$and": [{"label": "dog"}]}
    with pytest.raises(ValueError, match="join"):
        dl.Filters(resource=dl.FiltersResource.TASK).add_join(field="name", values="x")


def test_a_package_json_with_dtlpys_input_and_output_keys_declares_the_functions():
    manifest = {"name": "p", "functions": [{"name": "run", "input": [{"type": "Item", "name": "item"}], "output": []}]}
    module = dl.PackageModule.from_json(manifest)
    assert [(io.name, str(io.type)) for io in module.functions[0].inputs] == [("item", "Item")]


def test_one_function_or_one_function_io_is_taken_where_dtlpy_takes_one():
    module = dl.PackageModule(functions=dl.PackageFunction(name="f", inputs=dl.FunctionIO(type="Item")))
    assert [f.name for f in module.functions] == ["f"] and module.functions[0].inputs[0].name == "item"


def test_kubernetes_runtime_and_autoscaler_serialise_as_dtlpys():
    runtime = dl.KubernetesRuntime(
        pod_type=dl.InstanceCatalog.REGULAR_M,
        concurrency=3,
        autoscaler=dl.KubernetesRabbitmqAutoscaler(min_replicas=0, max_replicas=4, queue_length=20),
    )
    assert json.loads(json.dumps(runtime.to_json())) == {
        "podType": "regular-m",
        "numReplicas": 1,
        "concurrency": 3,
        "autoscaler": {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 4, "queueLength": 20},
    }
    assert dl.KubernetesRuntime.from_json(runtime.to_json()) == runtime
    service = dl.Service({"id": 1, "runtime": {"concurrency": 5, "numReplicas": 1}})
    assert service.runtime.concurrency == 5
    service.runtime.concurrency = 6
    assert service.to_json()["runtime"]["concurrency"] == 6


def test_a_deployed_functions_inputs_follow_its_argument_names_and_types():
    def stamp(item: dl.Item, tag, progress, context):
        return tag

    assert [(io.name, str(io.type)) for io in function_inputs(stamp)] == [("item", "Item"), ("tag", "Json")]
    assert function_source(stamp).startswith("    def stamp(")
    with pytest.raises(ValueError, match="lambda"):
        function_source(lambda item: item)


def test_verbose_sets_the_sdks_logging_level():
    before = logging.getLogger("dataslot").level
    try:
        dl.verbose.logging_level = dl.VerboseLoggingLevel.DEBUG
        assert dl.verbose.logging_level == "debug"
    finally:
        logging.getLogger("dataslot").setLevel(before)


def test_without_a_token_the_token_has_expired():
    assert dl.token_expired(dl.ApiClient(url="http://127.0.0.1:9", token=None)) is True


def test_executions_are_listed_by_an_execution_filter_as_dtlpy_writes_it(fake_server, fake_client):
    fake_server.route("GET", "/api/projects/4/executions/", (200, {"next": None, "previous": None, "results": []}))
    filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="latestStatus.status", values="failed")
    pages = dl.Service({"id": 3, "projectId": 4}, fake_client).executions.list(filters=filters)
    assert pages.items == []
    assert fake_server.requests[-1]["query"]["status"] == "failed"
    assert fake_server.requests[-1]["query"]["serviceId"] == "3"
    with pytest.raises(ValueError, match="equality"):
        dl.Service({"id": 3, "projectId": 4}, fake_client).executions.list(
            filters=dl.Filters(field="duration", values=1, resource="executions")
        )
