"""The annotation studio page: who may open it, what it draws, and where previous/next lead."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.support.html import StartTags
from tests.support.images import png
from workspace.services.annotations import annotation_create
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner):
    return project_create(name="Birds", owner=owner)


@pytest.fixture
def dataset(project):
    return dataset_create(project=project, name="Spring")


@pytest.fixture
def item(dataset):
    return item_create(dataset=dataset, file=png((200, 100)), name="wren.png", dir="/garden")


def studio_url(item, **query) -> str:
    url = f"/projects/{item.dataset.project_id}/items/{item.pk}/"
    if "filter" in query:
        url += "?filter=" + quote(json.dumps(query["filter"]))
    return url


def test_anonymous_visitors_are_sent_to_login(client, item):
    url = studio_url(item)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"


def test_non_members_get_404_and_items_of_other_projects_are_404(client, outsider, item, owner):
    client.force_login(outsider)
    assert client.get(studio_url(item)).status_code == 404
    # A member asking for another project's item through their own project id: 404 too.
    mine = project_create(name="Mine", owner=outsider)
    assert client.get(f"/projects/{mine.pk}/items/{item.pk}/").status_code == 404


def test_the_overlay_draws_each_annotation_in_image_pixels(client, owner, item):
    box = annotation_create(item=item, type="box", label="wren", coordinates=[[10, 20], [60, 80]], user=owner)
    point = annotation_create(item=item, type="point", label="eye", coordinates=[[150.5, 40]], user=owner)
    polygon = annotation_create(
        item=item, type="polygon", label="wing", coordinates=[[0, 0], [200, 0], [100, 100]], user=owner
    )
    klass = annotation_create(item=item, type="classification", label="outdoor", user=owner)
    client.force_login(owner)

    page = StartTags(client.get(studio_url(item)).content.decode())

    (svg,) = page.select("svg", id="annotation-overlay")
    assert svg["viewbox"] == "0 0 200 100"
    (img,) = page.select("img", id="item-image")
    assert img["src"] == f"/api/items/{item.pk}/download/"
    drawn = {int(a["data-annotation-id"]): (t, a) for t, a in page.found if "data-annotation-id" in a and t != "li"}
    assert set(drawn) == {box.pk, point.pk, polygon.pk}  # a classification is listed, not drawn
    tag, rect = drawn[box.pk]
    assert tag == "rect" and [float(rect[k]) for k in ("x", "y", "width", "height")] == [10, 20, 50, 60]
    tag, circle = drawn[point.pk]
    assert tag == "circle" and [float(circle[k]) for k in ("cx", "cy")] == [150.5, 40]
    tag, poly = drawn[polygon.pk]
    assert tag == "polygon" and poly["points"] == "0,0 200,0 100,100"

    rows = [a for t, a in page.found if t == "li" and "data-annotation-id" in a]
    assert [int(r["data-annotation-id"]) for r in rows] == [box.pk, point.pk, polygon.pk, klass.pk]
    assert [r["data-type"] for r in rows] == ["box", "point", "polygon", "classification"]
    for tool in ("select", "box", "point", "polygon"):
        assert page.select("button", data_tool=tool)
    assert page.select("input", id="classification-label")
    assert page.select(id="notices")


def test_labels_are_escaped_in_the_overlay_the_list_and_the_script_data(client, owner, item):
    label = '<script>alert("x")</script>'
    annotation_create(item=item, type="box", label=label, coordinates=[[1, 1], [5, 5]], user=owner)
    client.force_login(owner)

    body = client.get(studio_url(item)).content.decode()

    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body  # list, <title>, datalist
    assert "\\u003Cscript\\u003Ealert" in body  # the annotations JSON for the script


def test_function_annotations_are_marked_as_such_in_the_list(client, owner, item):
    annotation_create(item=item, type="point", label="seed", coordinates=[[3, 3]], source="function", user=owner)
    client.force_login(owner)
    page = StartTags(client.get(studio_url(item)).content.decode())
    (row,) = page.select("li", data_source="function")
    assert row["data-type"] == "point"


@pytest.fixture
def walk(dataset, project):
    """Five items named keep/skip alternately, with another dataset's items between them in id order."""
    other = dataset_create(project=project, name="Other")
    items = []
    for n in range(5):
        items.append(item_create(dataset=dataset, file=png((8, 8)), name=f"{'keep' if n % 2 == 0 else 'skip'}-{n}.png"))
        item_create(dataset=other, file=png((8, 8)), name=f"keep-other-{n}.png")
    return items


def nav_links(client, url) -> tuple[str | None, str | None]:
    page = StartTags(client.get(url).content.decode())
    (previous,) = page.select(id="previous-item")
    (next_,) = page.select(id="next-item")
    return previous.get("href"), next_.get("href")


def test_previous_and_next_walk_the_dataset_in_id_order(client, owner, walk):
    client.force_login(owner)
    assert nav_links(client, studio_url(walk[2])) == (studio_url(walk[1]), studio_url(walk[3]))
    assert nav_links(client, studio_url(walk[0])) == (None, studio_url(walk[1]))
    assert nav_links(client, studio_url(walk[4])) == (studio_url(walk[3]), None)


def test_previous_and_next_honour_the_browsers_filter_and_carry_it(client, owner, walk):
    client.force_login(owner)
    query = {"name": "keep-*"}
    carried = "?filter=" + quote(json.dumps(query, separators=(",", ":")))
    base = f"/projects/{walk[0].dataset.project_id}/items/"

    # From a matching item and from one that does not match: the nearest matching ids each side.
    assert nav_links(client, studio_url(walk[2], filter=query)) == (
        f"{base}{walk[0].pk}/{carried}",
        f"{base}{walk[4].pk}/{carried}",
    )
    assert nav_links(client, studio_url(walk[1], filter=query)) == (
        f"{base}{walk[0].pk}/{carried}",
        f"{base}{walk[2].pk}/{carried}",
    )
    assert nav_links(client, studio_url(walk[4], filter=query)) == (f"{base}{walk[2].pk}/{carried}", None)


def test_a_malformed_filter_is_reported_and_the_whole_dataset_walked(client, owner, walk):
    client.force_login(owner)
    response = client.get(studio_url(walk[2]) + "?filter=" + quote('{"nosuchfield": 1}'))
    assert response.status_code == 200
    assert "was ignored" in response.content.decode()
    assert nav_links(client, studio_url(walk[2]) + "?filter=" + quote('{"nosuchfield": 1}')) == (
        studio_url(walk[1]),
        studio_url(walk[3]),
    )
