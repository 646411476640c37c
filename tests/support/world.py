"""A project with one object of every kind, made through the services (database tests)."""

from __future__ import annotations

from faas.models import Execution
from faas.services.integrations import integration_create
from faas.services.packages import package_push
from faas.services.services import service_deploy, slots_activate
from tests.support.functions import archive, function, slot
from tests.support.images import png
from workspace.models import Item
from workspace.services.annotations import annotation_create
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, project_create
from workspace.services.tasks import task_create

CODE = """
import dataslot as dl

class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item):
        return None
"""
SLOT = slot("run", "Run", "noAction")


def image_rows(dataset_id: int, names: list[str]) -> list[Item]:
    """Items of 10x10 images named ``names`` (the mimetype from each extension), as rows whose
    files are never read: for the code that reads items' fields, not their bytes."""
    return [
        Item.objects.create(
            dataset_id=dataset_id,
            name=name,
            width=10,
            height=10,
            size=1,
            file="x",
            thumbnail="x",
            metadata={"system": {"mimetype": f"image/{name.rsplit('.', 1)[-1]}"}},
        )
        for name in names
    ]


def project_world(owner, name: str) -> dict[str, int]:
    """The ids of a new project of ``owner`` and of one object of every kind in it."""
    project = project_create(name=name, owner=owner)
    dataset = dataset_create(project=project, name="d")
    item = item_create(dataset=dataset, file=png(), name="a.png")
    annotation = annotation_create(item=item, type="classification", label="x", user=owner)
    task = task_create(dataset=dataset, name="t", item_ids=[item.pk], user=owner)
    package = package_push(
        project=project,
        name="pkg",
        archive=archive({"main.py": CODE}),
        modules=[{"name": "m", "functions": [function("run", ("item", "Item"))]}],
        slots=[SLOT],
        user=owner,
    )
    service, _ = service_deploy(project=project, package=package, name="svc", fields={}, user=owner)
    slots_activate(service=service, project=project)
    execution = Execution.objects.create(
        project=project,
        service=service,
        package_revision=service.package_revision,
        function_name="run",
        input={"item": {"item_id": item.pk, "dataset_id": dataset.pk}},
        creator=owner,
    )
    integration = integration_create(project=project, name="TOKEN", value="s3cret", user=owner)
    return {
        "project": project.pk,
        "dataset": dataset.pk,
        "item": item.pk,
        "annotation": annotation.pk,
        "task": task.pk,
        "package": package.pk,
        "service": service.pk,
        "execution": execution.pk,
        "integration": integration.pk,
        "owner": owner.pk,
    }
