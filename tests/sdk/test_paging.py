"""Lists follow ``next`` cursors lazily and build entities cheaply; they page as dtlpy's do."""

import dataslot as dl


def serve_pages(fake_server, path: str, total: int, page_size: int):
    rows = [{"id": i, "name": f"{i}.png", "datasetId": 1, "dir": "/", "metadata": {}} for i in range(total)]
    bodies = {}
    for start in range(0, total, page_size):
        nxt = f"{fake_server.url}{path}?cursor={start + page_size}" if start + page_size < total else None
        bodies[str(start)] = (200, {"next": nxt, "previous": None, "results": rows[start : start + page_size]})
    # Pre-encoded, so the peer's own cost does not count against the client.
    import json

    encoded = {k: (s, json.dumps(b).encode()) for k, (s, b) in bodies.items()}
    fake_server.route("GET", path, lambda r: encoded[r["query"].get("cursor", "0")])


def test_list_follows_next_cursors_through_every_page(fake_server, fake_client):
    serve_pages(fake_server, "/api/datasets/1/items/", total=25, page_size=10)
    dataset = dl.Dataset({"id": 1, "name": "d"}, fake_client)
    pages = dataset.items.list(page_size=10)
    assert fake_server.requests == []  # nothing fetched before iterating
    items = list(pages.all())
    assert [i.id for i in items] == list(range(25))
    assert isinstance(items[0], dl.Item) and items[0].name == "0.png"
    assert len(fake_server.requests) == 3
    assert fake_server.requests[0]["query"]["page_size"] == "10"


def test_pages_and_first(fake_server, fake_client):
    serve_pages(fake_server, "/api/datasets/1/items/", total=25, page_size=10)
    dataset = dl.Dataset({"id": 1, "name": "d"}, fake_client)
    assert [len(p) for p in dataset.items.list(page_size=10).pages()] == [10, 10, 5]
    assert dataset.items.list().first().id == 0


def test_filters_are_sent_as_compact_dql(fake_server, fake_client):
    fake_server.route("GET", "/api/datasets/1/items/", (200, {"next": None, "previous": None, "results": []}))
    dataset = dl.Dataset({"id": 1}, fake_client)
    list(dataset.items.list(filters=dl.Filters(field="dir", values="/a")))
    assert fake_server.requests[-1]["query"]["filter"] == ('{"$and":[{"hidden":false},{"type":"file"},{"dir":"/a"}]}')


def test_walking_100k_items_costs_one_request_a_page_and_nothing_per_item(fake_server, fake_client):
    # How fast is bench/sdk.py's business; here, the shape: no per-item requests.
    serve_pages(fake_server, "/api/datasets/1/items/", total=100_000, page_size=1000)
    dataset = dl.Dataset({"id": 1}, fake_client)
    count = sum(1 for item in dataset.items.list().all() if item.id >= 0)
    assert count == 100_000
    assert len(fake_server.requests) == 100


def test_iterating_pages_yields_pages_of_items_as_dtlpy_does(fake_server, fake_client):
    serve_pages(fake_server, "/api/datasets/1/items/", total=25, page_size=10)
    pages = dl.Dataset({"id": 1}, fake_client).items.list(page_size=10)
    assert [[item.id for item in page] for page in pages] == [list(range(10)), list(range(10, 20)), list(range(20, 25))]
    assert [item.id for item in pages[1]] == list(range(10, 20))
    assert pages[3] == []
    assert pages.items_count == 25 and len(pages) == 25 and pages.total_pages_count == 3


def test_items_count_is_the_servers_count_when_it_sends_one(fake_server, fake_client):
    body = {"next": "x", "previous": None, "count": 1234, "results": [{"id": 1}]}
    fake_server.route("GET", "/api/datasets/1/items/", (200, body))
    assert dl.Dataset({"id": 1}, fake_client).items.list().items_count == 1234
    assert len(fake_server.requests) == 1


def test_sort_by_orders_the_pages(fake_server, fake_client):
    serve_pages(fake_server, "/api/datasets/1/items/", total=5, page_size=10)
    filters = dl.Filters(page_size=2)
    filters.sort_by(field="id", value=dl.FiltersOrderByDirection.DESCENDING)
    pages = dl.Dataset({"id": 1}, fake_client).items.list(filters=filters)
    assert [[item.id for item in page] for page in pages] == [[4, 3], [2, 1], [0]]
