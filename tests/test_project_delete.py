"""An owner deletes a project with everything in it, functions included."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from faas.models import Package, Service
from faas.services.packages import package_push
from faas.services.services import service_deploy
from tests.support.functions import archive, function
from workspace.models import Project
from workspace.services.projects import project_create

pytestmark = pytest.mark.django_db

CODE = """
import dataslot as dl

class ServiceRunner(dl.BaseServiceRunner):
    def run(self):
        return None
"""


def test_deleting_a_project_with_a_deployed_service_removes_its_services_packages_and_bots():
    owner = get_user_model().objects.create_user("owner")
    project = project_create(name="doomed", owner=owner)
    package = package_push(
        project=project,
        name="pkg",
        archive=archive({"main.py": CODE}),
        modules=[{"name": "m", "functions": [function("run")]}],
        user=owner,
    )
    service, _ = service_deploy(project=project, package=package, name="svc", fields={}, user=owner)
    bot_id = service.bot_id
    client = APIClient()
    client.force_authenticate(owner)

    assert client.delete(f"/api/projects/{project.pk}/").status_code == 204

    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Service.objects.filter(pk=service.pk).exists()
    assert not Package.objects.filter(pk=package.pk).exists()
    assert not get_user_model().objects.filter(pk=bot_id).exists()
