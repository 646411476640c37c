"""Entity references survive the whole trip: the server names an entity, a replica's SDK
reads the reference and the entity's JSON, a function returns the entity, and the server
reads back the same reference, for every kind of entity."""

from __future__ import annotations

import json

import pytest

import dataslot as dl
from dataslot import references as sdk_references
from dataslot.runtime.replica import load_entity, to_output
from runner.entities import KINDS as RUNNER_KINDS
from workspace import references
from workspace.models import Annotation, Item, Task
from workspace.services.projects import dataset_create, project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def entities(owner):
    project = project_create(name="Refs", owner=owner)
    dataset = dataset_create(project=project, name="Garden")
    item = Item.objects.create(dataset=dataset, name="a.png", width=4, height=3, size=10, file="x/a", thumbnail="x/a")
    annotation = Annotation.objects.create(item=item, type="box", label="cat", coordinates=[[0, 0], [2, 2]])
    task = Task.objects.create(dataset=dataset, name="check")
    return project, {"Item": item, "Annotation": annotation, "Task": task, "Dataset": dataset}


# In the order references are recognised: the most specific key first.
EXPECTED = {
    "Annotation": lambda e: {"annotation_id": e.pk, "item_id": e.item_id, "dataset_id": e.item.dataset_id},
    "Item": lambda e: {"item_id": e.pk, "dataset_id": e.dataset_id},
    "Task": lambda e: {"task_id": e.pk, "dataset_id": e.dataset_id},
    "Dataset": lambda e: {"dataset_id": e.pk},
}


def test_every_kind_of_reference_is_covered_on_both_sides():
    assert [kind.name for kind in references.KINDS] == list(sdk_references.KINDS) == list(EXPECTED)
    assert {kind.name: kind.key for kind in references.KINDS} == sdk_references.ID_KEYS


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_reference_comes_back_the_same_from_a_function_that_returns_its_entity(entities, name):
    project, by_name = entities
    entity = by_name[name]
    # The server builds it (an execution's input: one entity, or a slot's selection).
    ref = references.reference_in_project(kind=name, ident=entity.pk, project=project)
    model = type(entity)
    assert ref == EXPECTED[name](entity)
    assert references.references(queryset=model.objects.filter(pk=entity.pk), kind=name) == [ref]
    assert references.reference_of(name, entity) == ref  # a trigger's entity, already loaded
    # The replica's SDK reads the reference and the entity JSON the runner sends with the run.
    wire = json.loads(json.dumps(ref))
    assert sdk_references.parse(wire) == (name, entity.pk)
    query, _, represent = RUNNER_KINDS[name]
    sent = json.loads(json.dumps(represent(query([entity.pk]).get())))
    loaded = load_entity(name, wire, {f"{name}:{entity.pk}": sent})
    assert isinstance(loaded, getattr(dl, name)) and loaded.id == entity.pk
    # The function returns it; the server reads the same reference back, dataset_id kept.
    returned = json.loads(json.dumps(to_output(loaded)))
    assert returned == ref
    kind, ident = references.parse(returned)
    assert (kind.name, ident) == (name, entity.pk)


def test_a_reference_of_another_project_is_not_built(entities, developer):
    _, by_name = entities
    elsewhere = project_create(name="Elsewhere", owner=developer)
    assert references.reference_in_project(kind="Item", ident=by_name["Item"].pk, project=elsewhere) is None


def test_an_annotations_reference_names_the_annotation_not_its_item_or_dataset(entities):
    _, by_name = entities
    output = [EXPECTED["Annotation"](by_name["Annotation"]), EXPECTED["Item"](by_name["Item"]), {"score": 1}]
    assert references.ids_of(output, "item") == [by_name["Item"].pk]
    assert references.ids_of(output, "annotation") == [by_name["Annotation"].pk]
    assert references.ids_of(output, "dataset") == []
    assert references.parse({"item_id": True}) is None and references.parse("item 3") is None
