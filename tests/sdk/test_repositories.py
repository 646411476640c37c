"""Every repository of the SDK gets, lists and deletes the same way (one ``Repository`` base):
by id at ``/api/<kind>/<id>/``, by name among its parent's list, and says what it needs."""

from __future__ import annotations

import pytest

import dataslot as dl
from dataslot import exceptions

PROJECT = {"id": 1, "name": "P"}
KINDS = [
    # repository, URL plural, its parent's list, the entity class
    (dl.DatasetsRepository, "datasets", "/api/projects/1/datasets/", dl.Dataset),
    (dl.TasksRepository, "tasks", "/api/projects/1/tasks/", dl.Task),
    (dl.PackagesRepository, "packages", "/api/projects/1/packages/", dl.Package),
    (dl.IntegrationsRepository, "integrations", "/api/projects/1/integrations/", dl.Integration),
]


@pytest.mark.parametrize(("repository", "noun", "listing", "entity"), KINDS)
def test_a_repository_gets_by_id_or_name_and_deletes_by_id(fake_server, fake_client, repository, noun, listing, entity):
    fake_server.route("GET", f"/api/{noun}/7/", (200, {"id": 7, "name": "seven"}))
    fake_server.route("GET", listing, (200, [{"id": 7, "name": "seven"}, {"id": 8, "name": "eight"}]))
    fake_server.route("DELETE", f"/api/{noun}/8/", (204, None))
    scoped = repository(fake_client, project=dl.Project(PROJECT, fake_client))

    by_id = repository(fake_client).get(**{_id_argument(repository): 7})
    assert isinstance(by_id, entity) and by_id.id == 7
    assert [e.id for e in scoped.list()] == [7, 8]
    assert scoped.get(**{_name_argument(repository): "eight"}).id == 8
    with pytest.raises(exceptions.NotFound, match="'nine'"):
        scoped.get(**{_name_argument(repository): "nine"})
    assert scoped.delete(8) is True
    assert fake_server.requests[-1]["method"] == "DELETE" and fake_server.requests[-1]["path"] == f"/api/{noun}/8/"


def test_a_repository_without_its_parent_says_which_one_it_needs(fake_client):
    with pytest.raises(ValueError, match="This needs a project: use project.datasets"):
        dl.DatasetsRepository(fake_client).list()
    with pytest.raises(ValueError, match="This needs an item: use item.annotations"):
        dl.AnnotationsRepository(fake_client).upload({"type": "class", "label": "x"})
    with pytest.raises(TypeError, match="scoped to project"):
        dl.DatasetsRepository(fake_client, dataset=object())


def _id_argument(repository) -> str:
    return repository.noun[:-1] + "_id"


def _name_argument(repository) -> str:
    return repository.noun[:-1] + "_name"
