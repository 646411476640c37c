"""What a slot click costs in SQL: a fixed number of queries, whatever the selection's size."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from faas.models import Execution, Service
from faas.services.slots import slot_run
from tests.faas.test_slots import setup  # noqa: F401  (the fixture)
from tests.support.world import image_rows

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# The activation with its service and package, the selection's references and misses in one
# query (with the metadata index probe the scope filter compiles), the package revision, the
# executions' insert and the savepoint pair around it. Before one evaluation, it was 10.
MAX_QUERIES = 7


def _more(dataset_id: int, count: int, ext: str = "png") -> list[int]:
    return [item.id for item in image_rows(dataset_id, [f"more-{i}.{ext}" for i in range(count)])]


def _click(project, service, ids) -> tuple[int, list, list]:
    with CaptureQueriesContext(connection) as queries:
        executions = slot_run(
            project=project,
            service_id=service.id,
            function_name="on_item",
            resource="item",
            panel="browser",
            selection={"ids": ids},
        )
    return len(queries), executions, queries.captured_queries


def test_a_slot_click_costs_the_same_few_queries_for_one_item_or_many(setup):  # noqa: F811
    _, project, service_json, items, *_ = setup
    service = Service.objects.get(pk=service_json["id"])
    many = [items[0].id, items[1].id, *_more(items[0].dataset_id, 30)]

    one_count, one, _ = _click(project, service, [items[0].id])
    many_count, executions, _ = _click(project, service, many)

    assert len(one) == 1 and len(executions) == len(many)
    assert sorted(e.input["item"]["item_id"] for e in executions) == sorted(many)
    assert one_count == many_count <= MAX_QUERIES
    assert Execution.objects.count() == 1 + len(many)


def test_a_click_counts_every_selected_entity_its_filter_misses_and_runs_none(setup):  # noqa: F811
    _, project, service_json, items, *_ = setup
    jpegs = [items[2].id, *_more(items[0].dataset_id, 2, "jpeg")]
    service = Service.objects.get(pk=service_json["id"])
    with pytest.raises(ValidationError) as raised:
        _click(project, service, [items[0].id, *jpegs])
    assert raised.value.message_dict == {"selection": ["3 selected items do not match this application's filter."]}
    assert not Execution.objects.exists()
