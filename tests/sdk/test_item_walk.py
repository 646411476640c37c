"""Walking a dataset's items: the SDK asks for big pages (10,000 items) behind dtlpy's
pages of 1,000, one page ahead, and yields every item once, in id order, with its metadata."""

import pytest

import dataslot as dl
from dataslot.repositories.items import FETCH_SIZE


def serve_big_pages(fake_server, total: int, fetch: int):
    rows = [{"id": n, "name": f"{n}.png", "metadata": {"user": {"n": n}}} for n in range(total)]

    def answer(request):
        start = int(request["query"].get("cursor", 0))
        size = int(request["query"]["page_size"]) if start == 0 else fetch
        size = min(size, fetch)
        nxt = f"{fake_server.url}/api/datasets/1/items/?cursor={start + size}" if start + size < total else None
        return 200, {"next": nxt, "previous": None, "results": rows[start : start + size]}

    fake_server.route("GET", "/api/datasets/1/items/", answer)


def test_a_walk_asks_for_10000_items_a_request_and_yields_pages_of_1000(fake_server, fake_client):
    serve_big_pages(fake_server, total=25_000, fetch=FETCH_SIZE)
    pages = dl.Dataset({"id": 1}, fake_client).items.list()
    sizes = [len(page) for page in pages]
    assert sizes == [1000] * 25
    assert fake_server.requests[0]["query"]["page_size"] == "10000"
    assert len(fake_server.requests) == 3
    items = list(dl.Dataset({"id": 1}, fake_client).items.list().all())
    assert [i.id for i in items] == list(range(25_000))
    assert items[12_345].metadata["user"]["n"] == 12_345


def test_a_page_size_the_user_chose_is_what_is_asked(fake_server, fake_client):
    serve_big_pages(fake_server, total=30, fetch=10)
    pages = dl.Dataset({"id": 1}, fake_client).items.list(page_size=10)
    assert [len(p) for p in pages] == [10, 10, 10]
    assert {r["query"].get("page_size") for r in fake_server.requests} <= {"10", None}


def test_stopping_a_walk_early_stops_asking(fake_server, fake_client):
    serve_big_pages(fake_server, total=50_000, fetch=FETCH_SIZE)
    for number, _page in enumerate(dl.Dataset({"id": 1}, fake_client).items.list()):
        if number == 2:
            break
    # The first big page, and at most the one fetched ahead.
    assert len(fake_server.requests) <= 2


@pytest.mark.server
def test_walking_a_real_dataset_yields_every_item_and_its_metadata_in_id_order(live_project, live_server_proc):
    dataset = live_project.datasets.create(dataset_name="walk")
    live_server_proc.python(
        "from workspace.models import Item\n"
        f"Item.objects.bulk_create(Item(dataset_id={dataset.id}, name=f'{{n}}.jpg', width=1, height=1, size=n,"
        " metadata={'user': {'n': n}}, file='x', thumbnail='t') for n in range(12_500))"
    )
    items = list(dataset.items.list(filters=dl.Filters(use_defaults=False)).all())
    assert [i.size for i in items] == list(range(12_500))
    assert [i.metadata["user"]["n"] for i in items] == list(range(12_500))
    assert [i.id for i in items] == sorted(i.id for i in items)
    assert all(i.dataset_id == dataset.id and i.project_id == live_project.id for i in items)
