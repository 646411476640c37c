"""Ids that cannot exist are refused before they reach a query.

A path id past 64 bits, zero or negative matches no URL: the API answers its JSON 404,
pages their 404. A body id that is not one (too large, zero, negative, text, a fraction,
a boolean) is a 400 naming the field, and nothing is stored.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from faas.models import Execution, Integration, Service
from tests.support.world import project_world
from workspace.ids import MAX_ID
from workspace.models import Task

pytestmark = pytest.mark.django_db

TOO_LARGE = 99999999999999999999999
NOT_IDS = [TOO_LARGE, MAX_ID + 1, 0, -1, 1.5, True, "abc", "", None, [1], {"id": 1}]
NOT_PATH_IDS = [str(TOO_LARGE), str(MAX_ID + 1), "0", "-1", "00", "1.5", "1e3", "%201"]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = get_user_model().objects.create_user("owner")
    world = project_world(owner, "ids")
    client = APIClient()
    client.force_authenticate(owner)
    client.force_login(owner)  # the pages take the session
    ids = {f"{kind}_id": world[kind] for kind in ("project", "dataset", "item", "package", "service", "integration")}
    return client, ids


def _id_routes(resolver=None, prefix: str = ""):
    """Every URL pattern of the site with an ``<id:...>`` parameter, as a route template."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _id_routes(pattern, route)
        elif isinstance(pattern, URLPattern) and "<id:" in route:
            yield "/" + route


def _fill(route: str, ids: dict, *, bad: str | None = None, position: int = 0) -> str:
    names = re.findall(r"<id:(\w+)>", route)
    values = {name: str(ids.get(name, 1)) for name in names}
    if bad is not None:
        values[names[position]] = bad
    return re.sub(r"<id:(\w+)>", lambda m: values[m.group(1)], route)


def test_every_route_with_an_id_uses_the_bounded_id_converter():
    routes = list(_id_routes())
    assert len(routes) > 40
    everything = [str(p.pattern) for p in get_resolver().url_patterns]
    assert not any("<int:" in route for route in routes + everything)


def test_a_path_id_that_cannot_exist_is_a_404_on_every_route_and_method(world):
    client, ids = world
    for route in _id_routes():
        for position in range(route.count("<id:")):
            for bad in NOT_PATH_IDS:
                url = _fill(route, ids, bad=bad, position=position)
                for method in ("get", "post", "patch", "delete"):
                    response = getattr(client, method)(url)
                    assert response.status_code == 404, (method, url, response.status_code)
                    if url.startswith("/api/"):
                        assert response.json() == {"detail": "Not found."}, (method, url)


def test_removing_a_member_whose_id_is_past_64_bits_is_a_404_and_removes_no_one(world):
    client, ids = world
    before = client.get(f"/api/projects/{ids['project_id']}/members/").json()
    response = client.delete(f"/api/projects/{ids['project_id']}/members/{TOO_LARGE}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert client.get(f"/api/projects/{ids['project_id']}/members/").json() == before


def test_the_largest_possible_id_reaches_the_views_and_is_a_plain_miss(world):
    client, ids = world
    for route in _id_routes():
        for position in range(route.count("<id:")):
            url = _fill(route, ids, bad=str(MAX_ID), position=position)
            for method in ("get", "post", "patch", "delete"):
                response = getattr(client, method)(url)
                assert response.status_code < 500, (method, url, response.status_code)
                if response.status_code != 405:
                    assert response.status_code in (400, 404), (method, url, response.status_code)


BODY_IDS = [
    ("post", "/api/projects/{project_id}/tasks/", lambda ids, bad: {"datasetId": bad, "name": "t", "itemIds": [ids["item_id"]]}, "datasetId"),
    ("post", "/api/projects/{project_id}/tasks/", lambda ids, bad: {"datasetId": ids["dataset_id"], "name": "t", "itemIds": [bad]}, "itemIds"),
    ("post", "/api/projects/{project_id}/services/", lambda ids, bad: {"name": "new", "packageId": bad}, "packageId"),
    ("post", "/api/projects/{project_id}/services/", lambda ids, bad: {"name": "new", "packageId": ids["package_id"], "secrets": [bad]}, "secrets"),
    ("patch", "/api/services/{service_id}/", lambda ids, bad: {"secrets": [bad]}, "secrets"),
    ("post", "/api/services/{service_id}/activate-slots/", lambda ids, bad: {"projectId": bad, "slots": None}, "projectId"),
    ("post", "/api/projects/{project_id}/slots/run/", lambda ids, bad: {"serviceId": bad, "functionName": "run", "resource": "item", "selection": {"ids": [ids["item_id"]]}}, "serviceId"),
    ("post", "/api/projects/{project_id}/slots/run/", lambda ids, bad: {"serviceId": ids["service_id"], "functionName": "run", "resource": "item", "selection": {"ids": [bad]}}, "selection"),
    ("post", "/api/projects/{project_id}/slots/run/", lambda ids, bad: {"serviceId": ids["service_id"], "functionName": "run", "resource": "item", "selection": {"all": True, "datasetId": bad}}, "selection"),
    ("post", "/api/projects/{project_id}/slots/resolve/", lambda ids, bad: {"resource": "item", "panel": "all", "selection": {"ids": [bad]}}, "selection"),
    ("post", "/api/services/{service_id}/execute/", lambda ids, bad: {"functionName": "run", "input": {"item": {"item_id": bad}}}, "input"),
    ("post", "/api/services/{service_id}/execute/", lambda ids, bad: {"functionName": "run", "input": {"item": bad}}, "input"),
]  # fmt: skip


# Values that are not ids but mean something else there: absent, or a reference object.
OPTIONAL_ABSENT = {
    ("/api/services/{service_id}/activate-slots/", "projectId"): [None, ""],  # the service's own project
    ("/api/projects/{project_id}/slots/run/", "selection"): [None],  # all: no dataset named
    ("/api/services/{service_id}/execute/", "input"): [{"id": 1}],  # {"id": N} is a reference too
}


def _stored() -> tuple:
    return (Task.objects.count(), Service.objects.count(), Execution.objects.count(), Integration.objects.count())


@pytest.mark.parametrize("method,path,body,field", BODY_IDS, ids=[f"{m} {p} {f}" for m, p, _, f in BODY_IDS])
def test_a_body_id_that_is_not_an_id_is_a_400_naming_its_field_and_stores_nothing(world, method, path, body, field):
    client, ids = world
    before = _stored()
    for bad in NOT_IDS:
        if bad in OPTIONAL_ABSENT.get((path, field), ()):
            continue
        response = getattr(client, method)(path.format(**ids), body(ids, bad), format="json")
        assert response.status_code == 400, (bad, response.status_code, response.content[:300])
        assert field in response.json(), (bad, response.json())
    assert _stored() == before


def test_a_body_id_may_be_sent_as_its_digits(world):
    client, ids = world
    body = {"datasetId": str(ids["dataset_id"]), "name": "by text", "itemIds": [str(ids["item_id"])]}
    response = client.post(f"/api/projects/{ids['project_id']}/tasks/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["itemsTotal"] == 1


def test_id_query_parameters_that_are_not_ids_are_refused_or_ignored_never_a_500(world):
    client, ids = world
    project = ids["project_id"]
    for bad in [str(TOO_LARGE), "0", "-1", "x"]:
        response = client.get(f"/api/projects/{project}/executions/", {"serviceId": bad})
        assert response.status_code == 400 and "serviceId" in response.json(), (bad, response.content)
        assert client.get(f"/api/projects/{project}/executions/", {"cursor": bad}).status_code == 404
    execution = client.post(
        f"/api/services/{ids['service_id']}/execute/",
        {"functionName": "run", "input": {"item": ids["item_id"]}},
        format="json",
    ).json()
    for bad in [str(TOO_LARGE), "-1", "x"]:
        response = client.get(f"/api/executions/{execution['id']}/logs/", {"after": bad})
        assert response.status_code == 200 and response.json()["finished"] is False


def test_the_studio_pages_refuse_ids_past_64_bits_in_their_query(world):
    client, ids = world
    project = ids["project_id"]
    rows = client.get(f"/projects/{project}/executions/rows/", {"layout": "table", "service": str(TOO_LARGE)})
    assert rows.status_code == 200
    download = client.get(f"/projects/{project}/executions/download/", {"ids": str(TOO_LARGE)})
    assert download.status_code in (400, 404)
