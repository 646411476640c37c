"""Pushing and deploying a function inside the test process (Django's test client), for
tests that drive the services directly rather than a live server."""

from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.support.functions import archive
from workspace.services.projects import dataset_create, project_create


def signed_in_owner():
    """A user "owner", their project "P" with a dataset "d", and an API client signed in as them."""
    user = User.objects.create_user("owner")
    project = project_create(name="P", owner=user)
    dataset = dataset_create(project=project, name="d")
    client = APIClient()
    client.force_authenticate(user)
    return user, project, dataset, client


def deploy(client, project_id: int, code: str, modules: list[dict], *, slots: list | None = None) -> dict:
    """Push a package of ``code`` (its ``main.py``) with these modules, and deploy it as "svc"."""
    body = {
        "name": "pkg",
        "modules": json.dumps(modules),
        "archive": SimpleUploadedFile("c.zip", archive({"main.py": code}), content_type="application/zip"),
    }
    if slots is not None:
        body["slots"] = json.dumps(slots)
    package = client.post(f"/api/projects/{project_id}/packages/", body, format="multipart")
    assert package.status_code == 201, package.content
    service = client.post(
        f"/api/projects/{project_id}/services/", {"name": "svc", "packageId": package.json()["id"]}, format="json"
    )
    assert service.status_code == 201, service.content
    return service.json()
