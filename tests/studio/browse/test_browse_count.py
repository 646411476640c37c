"""The dataset browser says how many items match, from kept counters and the metadata index."""

import json

import pytest

from tests.studio.browse.conftest import fake_items

pytestmark = pytest.mark.django_db


def count_line(client, project, dataset, params=None) -> str:
    body = client.get(f"/projects/{project.pk}/datasets/{dataset.pk}/", params or {}).content.decode()
    start = body.index('id="items-count"')
    return body[body.index(">", start) + 1 : body.index("</p>", start)]


def test_the_browser_shows_how_many_items_match(client, alice, project, dataset):
    fake_items(dataset, 3, dir="/a")
    fake_items(dataset, 2, start=10, mimetype="image/jpeg", dir="/b")
    client.force_login(alice)
    assert count_line(client, project, dataset) == "5 items"
    assert count_line(client, project, dataset, {"mimetype": "image/jpeg"}) == "2 items match"
    assert count_line(client, project, dataset, {"filter": json.dumps({"size": {"$gte": 1011}})}) == "1 item matches"
    assert count_line(client, project, dataset, {"filter": json.dumps({"metadata.none": 1})}) == "0 items match"
