"""A million items a dataset: metadata filters read an index, counts and totals are kept,
and a page can be reached by a jump. Small tables: the plans, not the timings, are checked
here (bench/items_list.py measures the timings)."""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection

from workspace.models import Item, ItemBlock, ItemMetadataValue, Task
from workspace.selectors.items import dataset_items_total, items_count, items_list
from workspace.services.items import item_delete, item_update
from workspace.services.projects import dataset_create
from workspace.services.tasks import task_create

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SPECIES = ["wren", "robin", "owl"]


def make_items(dataset, count: int, start: int = 0) -> list[Item]:
    return Item.objects.bulk_create(
        Item(
            dataset=dataset,
            name=f"{n}.jpg",
            width=1,
            height=1,
            size=1,
            file=f"x/{n}.jpg",
            thumbnail="t",
            metadata={"user": {"n": n, "species": SPECIES[n % 3], "odd": n % 2 == 1}, "tags": ["a"]},
        )
        for n in range(start, start + count)
    )


def names(dataset, query) -> list[str]:
    return [i.name for i in items_list(dataset=dataset, filter=query)]


def plan(dataset, query) -> str:
    items = items_list(dataset=dataset, filter=query)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a tiny table: make the planner show the index it can use
            cursor.execute("SET LOCAL enable_seqscan = off")
    return items.explain()


@pytest.mark.parametrize(
    "query, index",
    [
        ({"metadata.user.species": "owl"}, "item_metadata_text"),
        ({"metadata.user.n": 7}, "item_metadata_number"),
        ({"metadata.user.species": {"$in": ["owl", "wren"]}}, "item_metadata_text"),
        ({"metadata.user.n": {"$in": [1, 2, 3]}}, "item_metadata_number"),
        ({"metadata.user.n": {"$gte": 10, "$lt": 20}}, "item_metadata_number"),
        ({"metadata.user.species": {"$gt": "p"}}, "item_metadata_text"),
        ({"metadata.user.odd": True}, "item_metadata_text"),
        ({"metadata.user.species": {"$exists": True}}, "item_metadata_text"),
        ({"metadata.user.species": {"$ne": "owl"}}, "item_metadata_"),
        ({"metadata.user.gone": {"$exists": False}}, "item_metadata_"),
    ],
    ids=[
        "eq-string",
        "eq-number",
        "in-strings",
        "in-numbers",
        "range",
        "range-string",
        "bool",
        "exists",
        "ne",
        "not-exists",
    ],
)
def test_each_metadata_operator_reads_an_index(dataset, query, index):
    make_items(dataset, 30)
    explained = plan(dataset, query)
    if connection.vendor == "postgresql":
        # PostgreSQL picks among the side table's indexes by its statistics (on 30 rows it
        # may check (item, path) per item instead): any of them, never a scan of the table.
        index = "item_metadata_"
    assert index in explained, explained
    assert "SCAN workspace_item_metadata_value" not in explained  # SQLite's word for a full scan
    assert "Seq Scan on workspace_item_metadata_value" not in explained  # PostgreSQL's


def test_any_path_is_indexed_without_declaring_it(dataset):
    Item.objects.bulk_create(
        [
            Item(dataset=dataset, name="a", width=1, height=1, size=1, file="f", thumbnail="t", metadata={"new": {"deep": {"key": "x"}}}),
            Item(dataset=dataset, name="b", width=1, height=1, size=1, file="f", thumbnail="t", metadata={"new key!": 5}),
        ]
    )  # fmt: skip
    assert names(dataset, {"metadata.new.deep.key": "x"}) == ["a"]
    assert names(dataset, {"metadata.new key!": {"$gte": 5}}) == ["b"]
    assert "item_metadata_text" in plan(dataset, {"metadata.new.deep.key": "x"})


def test_the_index_follows_updates_and_deletes(dataset):
    items = make_items(dataset, 6)
    owl = items[2]
    assert names(dataset, {"metadata.user.species": "owl"}) == ["2.jpg", "5.jpg"]

    item_update(item=owl, metadata={"user": {"species": "heron"}})
    assert names(dataset, {"metadata.user.species": "owl"}) == ["5.jpg"]
    assert names(dataset, {"metadata.user.species": "heron"}) == ["2.jpg"]
    assert names(dataset, {"metadata.user.n": {"$exists": False}}) == ["2.jpg"]

    Item.objects.filter(pk=items[5].pk).update(metadata={"user": {"species": "wren"}})  # a bulk update too
    assert names(dataset, {"metadata.user.species": "owl"}) == []

    item_delete(item=items[0])
    assert names(dataset, {"metadata.user.species": "wren"}) == ["3.jpg", "5.jpg"]
    assert not ItemMetadataValue.objects.filter(item_id=items[0].pk).exists()


def test_a_dataset_total_is_kept_by_blocks_not_counted(dataset, project):
    other = dataset_create(project=project, name="Other")
    items = make_items(dataset, 10)
    make_items(other, 3)
    assert dataset_items_total(dataset_id=dataset.pk) == 10
    assert dataset_items_total(dataset_id=other.pk) == 3
    item_delete(item=items[0])
    Item.objects.filter(pk__in=[i.pk for i in items[1:4]]).delete()
    assert dataset_items_total(dataset_id=dataset.pk) == 6
    assert sum(ItemBlock.objects.filter(dataset_id=dataset.pk).values_list("items", flat=True)) == 6


def test_a_task_total_follows_its_items_when_they_are_deleted(dataset):
    items = make_items(dataset, 5)
    task = task_create(dataset=dataset, name="Check owls", query={"metadata.user.n": {"$lt": 4}})
    assert task.items_total == 4
    Item.objects.filter(pk__in=[items[0].pk, items[4].pk]).delete()
    task.refresh_from_db()
    assert task.items_total == 3 and Task.objects.get(pk=task.pk).task_items.count() == 3


def test_count_is_exact_up_to_its_limit_then_says_more(dataset):
    make_items(dataset, 12)
    assert items_count(dataset=dataset, filter={"metadata.user.species": "owl"}) == (4, True)
    assert items_count(dataset=dataset, filter={"metadata.user.n": {"$gte": 3, "$lt": 9}}) == (6, True)
    assert items_count(dataset=dataset, filter={"metadata.user.species": {"$ne": "owl"}}) == (8, True)
    assert items_count(dataset=dataset, filter={"$or": [{"metadata.user.n": 1}, {"name": "2.jpg"}]}) == (2, True)
    assert items_count(dataset=dataset, filter={"metadata.user.species": "owl"}, limit=3) == (3, False)
    assert items_count(dataset=dataset, filter=None) == (12, True)


# -- The API --------------------------------------------------------------------------


@pytest.fixture
def listing(api, annotator, dataset):
    client = api(annotator)

    def get(**params):
        if isinstance(params.get("filter"), dict):
            params["filter"] = json.dumps(params["filter"])
        return client.get(f"/api/datasets/{dataset.pk}/items/", params)

    return get


def test_the_list_counts_what_matches_when_asked(listing, dataset):
    make_items(dataset, 9)
    body = listing(filter={"metadata.user.species": "wren"}, count="true", page_size=2).json()
    assert (body["count"], body["countExact"]) == (3, True) and len(body["results"]) == 2
    assert "count" not in body["next"]  # the next page does not count again
    assert listing(count="true").json()["count"] == 9
    assert "count" not in listing().json()  # opt-in: pages stay cheap


def test_a_jump_lands_on_page_n_and_walks_on_from_there(listing, dataset):
    items = make_items(dataset, 25)
    body = listing(page=3, page_size=4).json()
    assert [i["id"] for i in body["results"]] == [i.pk for i in items[8:12]]
    following = listing(**dict(parse_qsl(urlsplit(body["next"]).query))).json()
    assert [i["id"] for i in following["results"]] == [i.pk for i in items[12:16]]
    after = listing(after_id=items[20].pk, page_size=10).json()
    assert [i["id"] for i in after["results"]] == [i.pk for i in items[21:]]
    filtered = listing(page=2, page_size=2, filter={"metadata.user.species": "owl"}).json()
    assert [i["name"] for i in filtered["results"]] == ["8.jpg", "11.jpg"]


def test_a_jump_finds_its_page_across_blocks_with_holes(listing, dataset):
    # Ids spread over five blocks of ids, with deleted items among them.
    ids = [block * ItemBlock.BLOCK + k for block in range(1, 6) for k in range(1, 5)]
    Item.objects.bulk_create(
        Item(id=i, dataset=dataset, name=f"{i}", width=1, height=1, size=1, file="f", thumbnail="t") for i in ids
    )
    Item.objects.filter(pk__in=[ids[1], ids[6]]).delete()
    remaining = [i for i in ids if i not in (ids[1], ids[6])]
    for page in range(1, 8):
        body = listing(page=page, page_size=3).json()
        assert [i["id"] for i in body["results"]] == remaining[(page - 1) * 3 : page * 3]


def test_a_jump_past_the_end_is_an_empty_page(listing, dataset):
    make_items(dataset, 5)
    body = listing(page=1000, page_size=10).json()
    assert body["results"] == [] and body["next"] is None


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"page": 0}, "page", "between 1 and"),
        ({"page": "x"}, "page", "integer"),
        ({"page": 2, "after_id": 1}, "page", "not both"),
        ({"count": "maybe"}, "count", "true or false"),
        ({"page": 20_000, "filter": {"metadata.user.n": {"$gte": 0}}}, "page", "at most 10000"),
        ({"filter": {"metadata.user.n": {"$in": list(range(100_000))}}}, "filter", "at most 200"),
    ],
    ids=["page-zero", "page-text", "page-and-after", "count-word", "filtered-jump-too-far", "huge-in"],
)
def test_bad_paging_input_is_a_400_naming_the_limit(listing, dataset, params, field, words):
    response = listing(**params)
    assert response.status_code == 400, response.content
    assert words in response.json()[field][0]


def test_a_filter_on_a_path_nobody_has_answers_nothing_quickly(listing, dataset):
    make_items(dataset, 5)
    body = listing(filter={"metadata.no.such.path": "x"}, count="true").json()
    assert body["results"] == [] and body["count"] == 0
