"""The dataset browser: who may see it, grid and table, filters, keyset pages, overlays."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.studio.browse.conftest import fake_items
from workspace.models import Annotation
from workspace.services.projects import dataset_create

pytestmark = pytest.mark.django_db


def browser(project, dataset, query=""):
    return f"/projects/{project.pk}/datasets/{dataset.pk}/{query}"


def item_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<(?:article|tr) class="item-(?:tile|row)" data-item-id="(\d+)"', html)]


def next_cursor(html: str) -> str | None:
    match = re.search(r"items/\?cursor=(\d+)", html)
    return match.group(1) if match else None


@pytest.mark.parametrize("suffix", ["", "items/", "items/1/overlay/"])
def test_pages_require_login(client, project, dataset, suffix):
    url = browser(project, dataset) + suffix
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("suffix", ["", "items/", "?view=table"])
def test_non_members_get_404(client, bob, project, dataset, suffix):
    client.force_login(bob)
    assert client.get(browser(project, dataset) + suffix).status_code == 404


def test_a_dataset_of_another_project_is_404_under_this_one(client, alice, project, other_project):
    _, others_dataset, _ = other_project
    client.force_login(alice)
    assert client.get(browser(project, others_dataset)).status_code == 404


def test_the_grid_shows_tiles_with_checkbox_lazy_thumbnail_overlay_and_studio_link(client, alice, project, dataset):
    first, second = fake_items(dataset, 2)
    Annotation.objects.create(item=first, type="box", label="bird", coordinates=[[10, 20], [110, 220]])
    Annotation.objects.create(item=first, type="point", label="eye", coordinates=[[50, 60]])
    client.force_login(alice)
    body = client.get(browser(project, dataset)).content.decode()
    assert item_ids(body) == [first.pk, second.pk]
    assert body.count('class="select-item"') == 2
    assert f'src="/api/items/{first.pk}/thumbnail/" alt="" loading="lazy"' in body
    assert f'href="/projects/{project.pk}/items/{first.pk}/"' in body
    overlay = re.search(rf'<svg class="item-overlay" data-overlay-for="{first.pk}".*?</svg>', body).group(0)
    assert 'viewBox="0 0 400 300"' in overlay
    assert '<rect x="10.0" y="20.0" width="100.0" height="200.0"/>' in overlay and "<circle" in overlay
    assert 'id="select-all-matching"' in body and 'id="dql-filter"' in body and 'id="filter-error"' in body


def test_the_table_view_shows_columns_and_annotation_counts(client, alice, project, dataset):
    (item,) = fake_items(dataset, 1, dir="/garden")
    Annotation.objects.create(item=item, type="classification", label="bird")
    client.force_login(alice)
    body = client.get(browser(project, dataset, "?view=table")).content.decode()
    row = re.search(rf'<tr class="item-row" data-item-id="{item.pk}">.*?</tr>', body, re.S).group(0)
    for text in ("img0000.png", "/garden", "1000\xa0bytes", "400×300", "image/png", '<td class="num">1</td>'):
        assert text in row, text
    assert 'type="checkbox" class="select-item"' in row


def test_user_content_is_escaped(client, alice, project, dataset):
    (item,) = fake_items(dataset, 1)
    item.name = '<script>alert("x")</script>.png'
    item.save()
    client.force_login(alice)
    body = client.get(browser(project, dataset)).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "Birds &lt;b&gt;" in body


def test_simple_filters_narrow_the_items(client, alice, project, dataset):
    pngs = fake_items(dataset, 3, dir="/a")
    jpegs = fake_items(dataset, 2, start=10, mimetype="image/jpeg", dir="/b")
    client.force_login(alice)
    assert item_ids(client.get(browser(project, dataset, "?mimetype=image/jpeg")).content.decode()) == [
        i.pk for i in jpegs
    ]
    assert item_ids(client.get(browser(project, dataset, "?dir=/a")).content.decode()) == [i.pk for i in pngs]
    assert item_ids(client.get(browser(project, dataset, "?name=0001")).content.decode()) == [pngs[1].pk]
    dql = json.dumps({"size": {"$gte": 1010}})
    response = client.get(browser(project, dataset), {"filter": dql, "view": "table"})
    assert item_ids(response.content.decode()) == [i.pk for i in jpegs]
    # The studio gets the whole filter, for previous/next.
    assert "?filter=%7B%22size%22" in response.content.decode()


@pytest.mark.parametrize(
    "dql, message",
    [
        ("{not json", "not valid JSON"),
        ('{"colour": "red"}', "colour"),
        ('{"width": {"$near": 3}}', "$near"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_a_bad_filter_shows_a_readable_message_not_a_server_error(client, alice, project, dataset, dql, message):
    fake_items(dataset, 2)
    client.force_login(alice)
    response = client.get(browser(project, dataset), {"filter": dql})
    assert response.status_code == 400
    body = response.content.decode()
    error = re.search(r'<p id="filter-error" class="field__error" role="alert">(.*?)</p>', body, re.S).group(1)
    assert "The filter is not valid DQL" in error and message in error
    assert item_ids(body) == []
    # The fragment answers the same way.
    fragment = client.get(browser(project, dataset, "items/"), {"filter": dql})
    assert fragment.status_code == 400 and "not valid DQL" in fragment.content.decode()


@pytest.mark.parametrize("view", ["grid", "table"])
def test_the_items_fragment_walks_every_item_once_by_cursor_in_constant_queries(client, alice, project, dataset, view):
    items = fake_items(dataset, 150)
    Annotation.objects.create(item=items[70], type="point", label="p", coordinates=[[1, 1]])
    client.force_login(alice)
    first = client.get(browser(project, dataset), {"view": view}).content.decode()
    seen = item_ids(first)
    cursor = next_cursor(first)
    pages = 1
    while cursor:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(browser(project, dataset, "items/"), {"cursor": cursor, "view": view})
        assert response.status_code == 200
        # session, user, membership checks, the page, its annotations: never one per item, no COUNT.
        assert len(queries) <= 8, [q["sql"] for q in queries]
        assert not any("COUNT(" in q["sql"].upper() or "OFFSET" in q["sql"].upper() for q in queries)
        html = response.content.decode()
        seen += item_ids(html)
        cursor = next_cursor(html)
        pages += 1
    assert pages == 3
    assert seen == [i.pk for i in items]  # all, in order, no duplicates


def test_the_fragment_keeps_the_filter_across_pages(client, alice, project, dataset):
    fake_items(dataset, 70, dir="/a")
    wanted = fake_items(dataset, 70, start=100, dir="/b")
    client.force_login(alice)
    first = client.get(browser(project, dataset), {"dir": "/b"}).content.decode()
    assert "&amp;dir=%2Fb" in first
    rest = client.get(browser(project, dataset, "items/"), {"cursor": next_cursor(first), "dir": "/b"})
    assert item_ids(first) + item_ids(rest.content.decode()) == [i.pk for i in wanted]


def test_a_bad_cursor_is_a_400(client, alice, project, dataset):
    client.force_login(alice)
    assert client.get(browser(project, dataset, "items/"), {"cursor": "abc"}).status_code == 400


def test_the_overlay_fragment_redraws_one_items_annotations(client, alice, bob, project, dataset):
    (item,) = fake_items(dataset, 1)
    Annotation.objects.create(item=item, type="polygon", label="wing", coordinates=[[1, 1], [50, 1], [25, 40]])
    client.force_login(alice)
    body = client.get(browser(project, dataset, f"items/{item.pk}/overlay/")).content.decode()
    assert f'data-overlay-for="{item.pk}"' in body and '<polygon points="1,1 50,1 25,40"/>' in body
    other = dataset_create(project=project, name="Other")
    assert client.get(browser(project, other, f"items/{item.pk}/overlay/")).status_code == 404
