"""The SDK's entity references: what a replica reads from the server and returns to it."""

from __future__ import annotations

import json

import pytest

import dataslot as dl
from dataslot import references
from dataslot.runtime.replica import load_entity, to_output

# Entity JSON as the server sends it with a run, and the reference a function's return becomes.
CASES = {
    "Annotation": (
        {"id": 5, "itemId": 7, "datasetId": 3, "type": "box", "label": "cat"},
        {"annotation_id": 5, "item_id": 7, "dataset_id": 3},
    ),
    "Item": ({"id": 7, "datasetId": 3, "name": "a.png"}, {"item_id": 7, "dataset_id": 3}),
    "Task": ({"id": 9, "datasetId": 3, "name": "check"}, {"task_id": 9, "dataset_id": 3}),
    "Dataset": ({"id": 3, "name": "Garden"}, {"dataset_id": 3}),
}


def test_every_entity_kind_has_a_case():
    assert list(CASES) == list(references.KINDS)


@pytest.mark.parametrize("kind", list(CASES))
def test_an_entity_read_from_its_reference_is_returned_as_the_same_reference(kind):
    sent, ref = CASES[kind]
    wire = json.loads(json.dumps(ref))
    assert references.parse(wire) == (kind, sent["id"])
    entity = load_entity(kind, wire, {f"{kind}:{sent['id']}": sent})
    assert isinstance(entity, getattr(dl, kind))
    assert json.loads(json.dumps(to_output(entity))) == ref
    assert to_output([entity, {"score": 1}]) == [ref, {"score": 1}]


def test_a_reference_built_by_a_script_leaves_out_what_it_does_not_know():
    assert references.build("Annotation", 5, item_id=None) == {"annotation_id": 5}
    assert references.build("Item", 7, dataset_id=3) == {"item_id": 7, "dataset_id": 3}
    assert references.reference_of(dl.Item({"id": 7})) == {"item_id": 7}
    assert references.reference_of({"item_id": 7}) is None and references.parse({"item_id": "7"}) is None
