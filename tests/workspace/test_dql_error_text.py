"""A DQL error has one text (``str(QueryError)``), the same wherever it is reported."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tests.support.world import project_world
from workspace import dql

BAD = {"metadata.batch": {"$near": 3}}


def test_the_text_names_the_offending_part_or_only_the_problem():
    with pytest.raises(dql.QueryError) as caught:
        dql.compile_query("item", BAD)
    assert str(caught.value) == f"{caught.value.path}: {caught.value.message}"
    assert caught.value.path
    assert str(dql.QueryError("", "The query must be an object.")) == "The query must be an object."


@pytest.mark.django_db
def test_a_list_filter_and_a_task_query_report_the_same_text():
    with pytest.raises(dql.QueryError) as caught:
        dql.compile_query("item", BAD)
    text = str(caught.value)
    owner = User.objects.create_user("dql-errors")
    world = project_world(owner, "DQL errors")
    client = APIClient()
    client.force_authenticate(owner)

    listed = client.get(f"/api/datasets/{world['dataset']}/items/", {"filter": json.dumps(BAD)})
    assert listed.status_code == 400 and listed.json()["filter"] == [text]
    task = {"datasetId": world["dataset"], "name": "by query", "query": BAD}
    created = client.post(f"/api/projects/{world['project']}/tasks/", task, format="json")
    assert created.status_code == 400 and created.json()["query"] == [text]
