"""The admin: every model is there, its pages render with data, edits keep the rules."""

import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from PIL import Image

from faas.crypto import decrypt
from faas.models import Execution, ExecutionLog, Integration, Service
from faas.services.executions import execution_create
from faas.services.integrations import integration_create
from faas.services.packages import package_push
from faas.services.services import service_deploy, slots_activate
from tests.support.functions import archive
from tests.support.images import png
from workspace.models import Item
from workspace.services.annotations import annotation_create
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, project_create
from workspace.services.tasks import task_create

pytestmark = pytest.mark.django_db

MAIN_PY = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item, progress=None):
        return item
"""
MODULES = [
    {
        "name": "default_module",
        "functions": [
            {"name": "run", "inputs": [{"type": "Item", "name": "item"}], "outputs": [{"type": "Item", "name": "item"}]}
        ],
    }
]
SLOTS = [
    {
        "moduleName": "default_module",
        "functionName": "run",
        "displayName": "Echo <item>",
        "displayScopes": [{"resource": "item", "panel": "all", "filter": {}}],
    }
]


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", password="root-pass", email="")


@pytest.fixture
def data(superuser):
    """One of everything the admin shows."""
    project = project_create(name="Admin <project>", owner=superuser)
    dataset = dataset_create(project=project, name="Shots")
    item = item_create(dataset=dataset, file=png((120, 90)), name="shot <1>.png", dir="/a", metadata={"user": {"k": 1}})
    annotation = annotation_create(item=item, type="box", label="car", coordinates=[[1, 1], [50, 40]])
    task = task_create(dataset=dataset, name="Check", item_ids=[item.pk], user=superuser)
    integration = integration_create(project=project, name="API_KEY", value="s3cr3t-value", user=superuser)
    package = package_push(
        project=project, name="echo", archive=archive({"main.py": MAIN_PY}), modules=MODULES, slots=SLOTS
    )
    service, _ = service_deploy(project=project, package=package, name="echo", fields={})
    activation = slots_activate(service=service, project=project)
    execution = execution_create(service=service, input={"item": item.pk}, user=superuser)
    ExecutionLog.objects.create(execution=execution, text="hello <log>\n")
    return {
        "project": project,
        "membership": project.memberships.get(user=superuser),
        "dataset": dataset,
        "item": item,
        "annotation": annotation,
        "task": task,
        "taskitem": task.task_items.get(),
        "integration": integration,
        "package": package,
        "packagerevision": package.latest,
        "service": service,
        "slotactivation": activation,
        "execution": execution,
        "executionlog": execution.log_lines.get(),
    }


def admin_url(obj, view="change"):
    meta = obj._meta
    args = [obj.pk] if view == "change" else []
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("app_label", ["workspace", "faas"])
def test_every_model_is_registered(app_label):
    # Unmanaged models are derived tables the database's own triggers keep (the metadata
    # index, item blocks): nothing an administrator edits.
    models = [m for m in apps.get_app_config(app_label).get_models() if m._meta.managed]
    missing = [m.__name__ for m in models if not admin.site.is_registered(m)]
    assert models and missing == []


def test_changelists_and_change_pages_render(client, superuser, data):
    client.force_login(superuser)
    for name, obj in data.items():
        changelist = client.get(admin_url(obj, "changelist"))
        assert changelist.status_code == 200, name
        change = client.get(admin_url(obj))
        assert change.status_code == 200, name


def test_user_content_is_escaped_in_the_admin(client, superuser, data):
    client.force_login(superuser)
    body = client.get(admin_url(data["item"], "changelist")).content.decode()
    assert 'alt="/a/shot &lt;1&gt;.png"' in body
    log = client.get(admin_url(data["execution"])).content.decode()
    assert "hello &lt;log&gt;" in log and "hello <log>" not in log


def test_item_thumbnail_shows_in_list_and_change_page_and_is_served(client, superuser, data):
    client.force_login(superuser)
    item = data["item"]
    thumbnail_url = reverse("admin:workspace_item_thumbnail", args=[item.pk])
    assert f'src="{thumbnail_url}"' in client.get(admin_url(item, "changelist")).content.decode()
    change = client.get(admin_url(item)).content.decode()
    assert f'src="{thumbnail_url}"' in change
    assert 'name="width"' not in change  # read-only
    image = client.get(thumbnail_url)
    assert image.status_code == 200
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size[0] <= 256


def item_form(item, **changes):
    form = {"name": item.name, "dir": item.dir, "metadata": '{"user": {"k": 1}}'}
    if item.hidden:
        form["hidden"] = "on"
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("metadata", "message"),
    [("{not json", "Enter a valid JSON."), ("[1, 2]", "Must be a JSON object.")],
)
def test_invalid_json_metadata_is_a_field_error_and_saves_nothing(client, superuser, data, metadata, message):
    client.force_login(superuser)
    item = data["item"]
    response = client.post(admin_url(item), item_form(item, name="renamed.png", metadata=metadata))
    assert response.status_code == 200
    assert message in response.content.decode()
    item.refresh_from_db()
    assert item.name == "shot <1>.png"
    assert item.metadata["user"] == {"k": 1}


def test_item_edit_keeps_the_system_metadata(client, superuser, data):
    client.force_login(superuser)
    item = data["item"]
    response = client.post(
        admin_url(item),
        item_form(item, dir="x//y/", metadata='{"user": {"k": 2}, "system": {"mimetype": "text/evil"}}'),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.dir == "/x/y"
    assert item.metadata["user"] == {"k": 2}
    assert item.metadata["system"]["mimetype"] == "image/png"


def test_integration_value_is_write_only(client, superuser, data):
    client.force_login(superuser)
    integration = data["integration"]
    page = client.get(admin_url(integration)).content.decode()
    assert "s3cr3t-value" not in page
    assert 'type="password"' in page
    # Changing the value re-encrypts it; an empty value keeps the old one.
    assert client.post(admin_url(integration), {"value": ""}).status_code == 302
    integration.refresh_from_db()
    assert decrypt(integration.encrypted_value) == "s3cr3t-value"
    assert client.post(admin_url(integration), {"value": "new-value"}).status_code == 302
    integration.refresh_from_db()
    assert decrypt(integration.encrypted_value) == "new-value"


def test_integration_is_created_encrypted_through_the_admin(client, superuser, data):
    client.force_login(superuser)
    add = reverse("admin:faas_integration_add")
    refused = client.post(add, {"project": data["project"].pk, "name": "TOKEN", "value": ""})
    assert refused.status_code == 200 and "needs a value" in refused.content.decode()
    assert client.post(add, {"project": data["project"].pk, "name": "TOKEN", "value": "abc"}).status_code == 302
    created = Integration.objects.get(name="TOKEN")
    assert decrypt(created.encrypted_value) == "abc" and created.created_by == superuser


def changelist_action(client, obj, action):
    return client.post(admin_url(obj, "changelist"), {"action": action, "_selected_action": [obj.pk]}, follow=True)


def test_service_pause_and_resume_actions(client, superuser, data):
    client.force_login(superuser)
    service = data["service"]
    changelist_action(client, service, "pause_services")
    assert Service.objects.get(pk=service.pk).active is False
    changelist_action(client, service, "resume_services")
    assert Service.objects.get(pk=service.pk).active is True


def test_service_runtime_edit_is_validated(client, superuser, data):
    client.force_login(superuser)
    service = data["service"]
    form = {
        "init_input": "{}",
        "concurrency": "0",
        "num_replicas": "1",
        "execution_timeout": "60",
        "drain_time": "5",
        "on_reset": "rerun",
        "max_attempts": "2",
    }
    assert client.post(admin_url(service), form).status_code == 200  # concurrency 0 is refused
    assert Service.objects.get(pk=service.pk).concurrency == 10
    form["concurrency"] = "2"
    assert client.post(admin_url(service), form).status_code == 302
    service.refresh_from_db()
    assert (service.concurrency, service.execution_timeout, service.on_reset) == (2, 60, "rerun")


def test_execution_terminate_and_rerun_actions(client, superuser, data):
    client.force_login(superuser)
    execution = data["execution"]
    changelist_action(client, execution, "terminate_executions")
    execution.refresh_from_db()
    assert execution.status == "terminated"
    # Terminating a finished one is refused with the reason, not an error page.
    again = changelist_action(client, execution, "terminate_executions")
    assert again.status_code == 200 and "already finished" in again.content.decode()
    changelist_action(client, execution, "rerun_executions")
    execution.refresh_from_db()
    assert execution.status == "created" and Execution.objects.count() == 1


def test_execution_change_page_is_read_only(client, superuser, data):
    client.force_login(superuser)
    execution = data["execution"]
    response = client.post(admin_url(execution), {"status": "success"})
    assert response.status_code == 403
    execution.refresh_from_db()
    assert execution.status == "created"


def test_items_are_not_added_through_the_admin(client, superuser, data):
    client.force_login(superuser)
    assert client.get(reverse("admin:workspace_item_add")).status_code == 403
    assert Item.objects.count() == 1
