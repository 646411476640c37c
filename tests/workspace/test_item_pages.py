"""A dataset's item list is built from raw rows (workspace.api.item_pages): the same JSON as
the item detail's serializer, in keyset order, for members only, up to 10,000 a page."""

from __future__ import annotations

import datetime as dt

from django.test import RequestFactory

from workspace.api.serializers import ItemSerializer
from workspace.models import Item
from workspace.services.projects import dataset_create, project_create

from .conftest import image_bytes


def _rows(dataset, count: int) -> list[Item]:
    return Item.objects.bulk_create(
        Item(
            dataset=dataset,
            name=f"img{n}.jpg",
            dir=f"/site{n % 3}",
            width=10 + n,
            height=20,
            size=100 + n,
            metadata={"user": {"n": n, "score": n / 7}},
            file=f"x/{n}.jpg",
            thumbnail="t",
        )
        for n in range(count)
    )


def test_a_listed_item_is_exactly_the_json_of_the_item_itself(api, annotator, dataset, upload_items):
    uploaded = upload_items(dataset, [('fjörd "quoted" name.jpg', image_bytes())], dir="/dír/ünder")[0]
    odd = Item.objects.create(
        dataset=dataset,
        name="odd.jpg",
        hidden=True,
        width=1,
        height=1,
        size=0,
        metadata={"user": {"text": 'é\u2028"\\', "nested": [1, 2.5, None, True, {"a": []}], "big": 2**53}},
        file="f",
        thumbnail="t",
    )
    # A time with no microseconds is written without them, as DRF's format does.
    Item.objects.filter(pk=odd.pk).update(created_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    client = api(annotator)
    listed = client.get(f"/api/datasets/{dataset.pk}/items/").json()["results"]
    assert [i["id"] for i in listed] == [uploaded["id"], odd.pk]
    for item in listed:
        assert item == client.get(f"/api/items/{item['id']}/").json()
    assert listed[1]["createdAt"] == "2026-01-02T03:04:05Z" and listed[1]["hidden"] is True
    assert listed[1]["metadata"]["user"]["text"] == 'é\u2028"\\'


def test_the_rows_json_matches_the_serializer_for_every_field(api, annotator, dataset):
    items = _rows(dataset, 5)
    request = RequestFactory().get("/", SERVER_NAME="127.0.0.1")
    expected = ItemSerializer(
        Item.objects.filter(pk__in=[i.pk for i in items]).order_by("id"), many=True, context={"request": request}
    ).data
    listed = api(annotator).get(f"/api/datasets/{dataset.pk}/items/", SERVER_NAME="127.0.0.1").json()["results"]
    assert listed == [dict(e) for e in expected]


def test_big_pages_walk_every_item_once_in_id_order_with_its_metadata(api, annotator, dataset):
    items = _rows(dataset, 2500)
    client, url, seen = api(annotator), f"/api/datasets/{dataset.pk}/items/?page_size=1000", []
    while url:
        body = client.get(url).json()
        seen += body["results"]
        url = body["next"]
    assert [i["id"] for i in seen] == [i.pk for i in items]
    assert [i["metadata"]["user"]["n"] for i in seen] == list(range(2500))
    body = client.get(f"/api/datasets/{dataset.pk}/items/", {"page_size": 10000, "count": "true"}).json()
    assert len(body["results"]) == 2500 and body["next"] is None and body["count"] == 2500


def test_a_page_after_an_id_and_a_filtered_page_keep_keyset_order(api, annotator, dataset):
    items = _rows(dataset, 30)
    client, url = api(annotator), f"/api/datasets/{dataset.pk}/items/"
    after = client.get(url, {"after_id": items[9].pk, "page_size": 5}).json()
    assert [i["id"] for i in after["results"]] == [i.pk for i in items[10:15]]
    following = client.get(after["next"]).json()
    assert [i["id"] for i in following["results"]] == [i.pk for i in items[15:20]]
    filtered = client.get(url, {"filter": '{"dir": "/site1"}', "page_size": 10000}).json()
    assert [i["id"] for i in filtered["results"]] == [i.pk for i in items[1::3]]


def test_only_members_of_the_datasets_project_list_its_items(api, annotator, outsider, dataset):
    _rows(dataset, 3)
    other = dataset_create(project=project_create(name="Elsewhere", owner=outsider), name="Theirs")
    _rows(other, 2)
    assert api(outsider).get(f"/api/datasets/{dataset.pk}/items/").status_code == 404
    assert len(api(outsider).get(f"/api/datasets/{other.pk}/items/").json()["results"]) == 2
    assert api(annotator).get(f"/api/datasets/{other.pk}/items/").status_code == 404
    assert api().get(f"/api/datasets/{dataset.pk}/items/").status_code in (401, 403)
