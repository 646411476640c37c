"""Each SDK enum holds exactly the strings the server accepts (docs/design.md "Vocabulary"):
a member the server refuses would only turn into a 400 at run time."""

import pytest

import dataslot as dl
from dataslot import enums as sdk_enums
from dataslot.entities.runtime import InstanceCatalog, KubernetesAutoscalerType
from faas import enums as server_enums
from faas.runtime import AUTOSCALER_TYPES, POD_TYPES


def values(enum) -> set[str]:
    return {str(member.value) for member in enum}


@pytest.mark.parametrize(
    "name",
    [
        "ExecutionStatus",
        "OnResetAction",
        "SlotPostActionType",
        "SlotDisplayScopeResource",
        "UiBindingPanel",
        "TriggerType",
        "TriggerResource",
        "TriggerAction",
        "TriggerExecutionMode",
    ],
)
def test_each_sdk_enum_has_the_values_of_the_server_enum_of_its_name(name):
    assert values(getattr(sdk_enums, name)) == set(getattr(server_enums, name).values)


def test_the_sdk_counts_as_finished_the_statuses_the_server_does():
    assert {str(status) for status in sdk_enums.FINISHED_STATUSES} == set(server_enums.FINISHED_STATUSES)


def test_package_input_types_are_the_servers_and_their_list_forms():
    accepted = set(server_enums.PACKAGE_INPUT_TYPES)
    assert values(dl.PackageInputType) == accepted | {f"{kind}[]" for kind in accepted}


def test_filters_resources_are_the_batch_resources_and_executions():
    # A batch's `resource` takes a scope resource; `execution` filters become the executions listing's parameters.
    assert values(dl.FiltersResource) == set(server_enums.SlotDisplayScopeResource.values) | {"execution"}


def test_runtime_enums_are_the_pod_and_autoscaler_types_the_server_validates():
    assert values(InstanceCatalog) == set(POD_TYPES)
    assert values(KubernetesAutoscalerType) == set(AUTOSCALER_TYPES)
