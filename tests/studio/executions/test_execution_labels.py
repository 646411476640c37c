"""Execution rows name what they are about: the slot's display name, the entity by name
(with a link), a short rendering of the output; never a name from another project."""

from __future__ import annotations

import pytest

from faas.models import Execution
from faas.representations import execution_json
from studio.executions import rows
from studio.executions.labels import labels_for
from tests.studio.browse.conftest import fake_items

pytestmark = pytest.mark.django_db


def _execution(service, *, input, output, status="success") -> dict:
    execution = Execution.objects.create(
        project_id=service.project_id,
        service=service,
        package_revision=service.package_revision,
        function_name="gray",
        input=input,
        output=output,
        status=status,
    )
    return execution_json(execution)


def test_a_row_names_the_slot_the_item_and_the_output_item(service, dataset):
    source, result = fake_items(dataset, 2)
    data = _execution(
        service,
        input={"item": {"item_id": source.pk, "dataset_id": dataset.pk}},
        output={"item_id": result.pk, "dataset_id": dataset.pk},
    )
    row = rows.execution_row(data, labels=labels_for(project_id=service.project_id, executions=[data]))
    assert row["title"] == "Make gray" and row["service_function"] == "tools · gray"
    assert row["entity"] == f"item “{source.name}”"
    assert row["entity_url"] == f"/projects/{service.project_id}/items/{source.pk}/"
    assert (row["output_summary"], row["output_url"]) == (
        f"item “{result.name}”",
        f"/projects/{service.project_id}/items/{result.pk}/",
    )


def test_an_item_of_another_project_stays_a_bare_id(service, dataset, other_project):
    _, _, secret = other_project
    data = _execution(service, input={"item": {"item_id": secret.pk}}, output={"item_id": secret.pk})
    row = rows.execution_row(data, labels=labels_for(project_id=service.project_id, executions=[data]))
    assert row["entity"] == f"item {secret.pk}" and row["entity_url"] == ""
    assert not any("secret.png" in html for html in rows.render_views(rows.rows_of([data]), rows.VIEWS).values())


def test_a_json_output_is_shortened_and_none_is_no_output(service, dataset):
    (item,) = fake_items(dataset, 1)
    long = _execution(service, input={"item": {"item_id": item.pk}}, output={"text": "x" * 500})
    none = _execution(service, input={"item": {"item_id": item.pk}}, output=None)
    labels = labels_for(project_id=service.project_id, executions=[long, none])
    summary = rows.execution_row(long, labels=labels)["output_summary"]
    assert summary.startswith('{"text": "xxx') and summary.endswith("…") and len(summary) <= 120
    assert rows.execution_row(none, labels=labels)["has_output"] is False
