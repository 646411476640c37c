"""Fixtures of the dataset browser tests, which the executions and Applications tests use too."""

from __future__ import annotations

import pytest

from faas.models import Execution
from faas.services.packages import package_push
from faas.services.services import service_deploy, slots_activate
from tests.support.functions import archive, function, idle_runner
from tests.support.images import png
from workspace.models import Item
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, project_create

CODE = idle_runner(
    "gray(self, item)",
    "detect(self, item)",
    "everywhere(self, item)",
    "on_task(self, task)",
)

PNG_ONLY = {"metadata.system.mimetype": "image/png"}


def _slot(fn, display, resource, panel, post="noAction", filter=None, icon=""):
    return {
        "moduleName": "m",
        "functionName": fn,
        "displayName": display,
        "postAction": {"type": post},
        "displayIcon": icon,
        "displayScopes": [{"resource": resource, "panel": panel, "filter": filter or {}}],
    }


SLOTS = [
    _slot("gray", "Make gray", "item", "browser", post="download", icon="🌓"),
    _slot("detect", "Detect (studio)", "item", "studio", post="drawAnnotation"),
    _slot("everywhere", "PNG only", "item", "all", filter=PNG_ONLY),
    _slot("on_task", "Task thing", "task", "browser"),
]


def fake_items(dataset, count: int, *, start: int = 0, mimetype: str = "image/png", dir: str = "/") -> list[Item]:
    """Rows without files: fast, for pages and selections (thumbnails are not fetched here)."""
    return Item.objects.bulk_create(
        Item(
            dataset=dataset,
            name=f"img{n:04d}.{mimetype.split('/')[1]}",
            dir=dir,
            width=400,
            height=300,
            size=1000 + n,
            metadata={"system": {"mimetype": mimetype}},
            file=f"x/{n}",
            thumbnail=f"x/{n}",
        )
        for n in range(start, start + count)
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def project(alice):
    return project_create(name="Birds <b>", owner=alice)


@pytest.fixture
def dataset(project):
    return dataset_create(project=project, name="Garden")


@pytest.fixture
def service(project, alice):
    package = package_push(
        project=project,
        name="pkg",
        archive=archive({"main.py": CODE}),
        modules=[
            {
                "name": "m",
                "functions": [
                    function("gray", ("item", "Item")),
                    function("detect", ("item", "Item")),
                    function("everywhere", ("item", "Item")),
                    function("on_task", ("task", "Task")),
                ],
            }
        ],
        slots=SLOTS,
        user=alice,
    )
    service, _ = service_deploy(project=project, package=package, name="tools", fields={}, user=alice)
    slots_activate(service=service, project=project)
    return service


@pytest.fixture
def other_project(bob):
    """Bob's project, with an execution whose output is an item of Bob's."""
    project = project_create(name="Secret", owner=bob)
    dataset = dataset_create(project=project, name="Vault")
    item = item_create(dataset=dataset, file=png((40, 30)), name="secret.png")
    return project, dataset, item


def executions_with_outputs(service, items) -> list[Execution]:
    """Finished executions of ``gray`` that returned these items (as a replica would store them),
    run by its slot (post-action download)."""
    return [
        Execution.objects.create(
            project_id=service.project_id,
            service=service,
            package_revision=service.package_revision,
            function_name="gray",
            input={"item": {"item_id": item.pk, "dataset_id": item.dataset_id}},
            output={"item_id": item.pk, "dataset_id": item.dataset_id},
            status="success",
            percent_complete=100,
            post_action="download",
        )
        for item in items
    ]
