"""Pushing and deploying a function inside the test process (Django's test client), for
tests that drive the services directly rather than a live server."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.functions import archive


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
