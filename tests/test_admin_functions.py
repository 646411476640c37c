"""Configuring functions in the admin: push a package, deploy it, activate and edit its slots.

Every form goes through the same faas.services functions as the API, so it keeps the
API's rules: a bad form shows a readable error and stores nothing.
"""

import io
import json
import zipfile

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from faas.admin.forms import SlotActivationForm
from faas.models import Package, Service, SlotActivation
from faas.selectors.slots import slots_for_selection
from workspace.services.projects import project_create

pytestmark = pytest.mark.django_db

MAIN_PY = b"""
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def touch(self, item: dl.Item):
        return {"name": item.name}

    def count(self, item: dl.Item):
        return 1
"""
MODULES = [
    {
        "name": "m",
        "functions": [
            {"name": "touch", "inputs": [{"type": "Item", "name": "item"}]},
            {"name": "count", "inputs": [{"type": "Item", "name": "item"}]},
        ],
    }
]


def archive(source: bytes = MAIN_PY) -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("main.py", source)
    return SimpleUploadedFile("code.zip", out.getvalue(), content_type="application/zip")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def root(client):
    user = get_user_model().objects.create_superuser("root", password="root-pass", email="")
    client.force_login(user)
    return user


@pytest.fixture
def project(root):
    return project_create(name="Labelling", owner=root)


def push(client, project, name="tools", **changes):
    form = {"project": project.pk, "name": name, "archive": archive(), "modules": json.dumps(MODULES), "slots": ""}
    form.update(changes)
    return client.post(reverse("admin:faas_package_add"), form)


# A service's settings as the admin's form sends them untouched.
SERVICE_SETTINGS = {
    "init_input": "{}",
    "concurrency": "2",
    "num_replicas": "1",
    "execution_timeout": "60",
    "drain_time": "5",
    "on_reset": "failed",
    "max_attempts": "3",
}


def deploy(client, package, name="tools", **changes):
    form = {"package": package.pk, "package_revision": "", "module_name": "", "name": name, **SERVICE_SETTINGS}
    form.update(changes)
    return client.post(reverse("admin:faas_service_add"), form)


def activate(client, service):
    return client.post(reverse("admin:faas_slotactivation_add"), {"service": service.pk})


def slot_form(activation, **changes) -> dict:
    """The change form as the page fills it in (every field's initial value), with changes."""
    form = SlotActivationForm(instance=activation)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def change_url(obj):
    return reverse(f"admin:faas_{obj._meta.model_name}_change", args=[obj.pk])


def test_a_package_is_pushed_deployed_and_its_slot_configured_entirely_in_the_admin(client, project):
    assert push(client, project).status_code == 302
    package = Package.objects.get(project=project, name="tools")
    assert package.version == 1

    assert deploy(client, package).status_code == 302
    service = Service.objects.get(project=project, name="tools")
    assert (service.package_revision, service.module_name, service.concurrency) == (1, "m", 2)

    added = activate(client, service)
    activation = SlotActivation.objects.get(service=service)
    assert added.status_code == 302 and added["Location"] == change_url(activation)

    # The page offers a slot for each function; activate "touch" as "Touch it" for gradients only.
    page = client.get(change_url(activation)).content.decode()
    assert "Function touch" in page and "Function count" in page
    response = client.post(
        change_url(activation),
        slot_form(
            activation,
            slot0_active="on",
            slot0_display_name="Touch it",
            slot0_display_icon="icon-check",
            slot0_post_action="noAction",
            slot0_scope0_resource="item",
            slot0_scope0_panel="browser",
            slot0_scope0_filter='{"metadata.user.scene": "gradient"}',
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    activation.refresh_from_db()
    (slot,) = activation.slots
    assert slot["displayName"] == "Touch it" and slot["displayIcon"] == "icon-check"
    assert slot["displayScopes"] == [
        {"resource": "item", "panel": "browser", "filter": {"metadata.user.scene": "gradient"}}
    ]
    shown = slots_for_selection(project=project, resource="item", panel="browser")
    assert [(s["displayName"], s["enabled"]) for s in shown] == [("Touch it", True)]


def test_a_slot_filter_that_does_not_parse_is_a_form_error_and_nothing_is_stored(client, project):
    push(client, project)
    deploy(client, Package.objects.get(name="tools"))
    service = Service.objects.get(name="tools")
    activate(client, service)
    activation = SlotActivation.objects.get(service=service)
    before = json.loads(json.dumps(activation.slots))

    for bad, message in (
        ('{"metadata.user.scene": ', "not valid JSON"),
        ('{"$and": 5}', "must be a non-empty list of queries"),
    ):
        response = client.post(
            change_url(activation),
            slot_form(activation, slot0_active="on", slot0_display_name="Renamed", slot0_scope0_filter=bad),
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "errorlist" in page and message in page
        activation.refresh_from_db()
        assert activation.slots == before


def test_unticking_a_slot_deactivates_it_and_deleting_the_activation_hides_them_all(client, project):
    push(client, project, slots=json.dumps([{"moduleName": "m", "functionName": "touch", "displayName": "Touch"}]))
    deploy(client, Package.objects.get(name="tools"))
    service = Service.objects.get(name="tools")
    activate(client, service)
    activation = SlotActivation.objects.get(service=service)
    assert [s["displayName"] for s in activation.slots] == ["Touch"]

    assert client.post(change_url(activation), slot_form(activation, slot0_active=None)).status_code == 302
    activation.refresh_from_db()
    assert activation.slots == []
    assert slots_for_selection(project=project, resource="item", panel="browser") == []

    delete = reverse("admin:faas_slotactivation_delete", args=[activation.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not SlotActivation.objects.filter(service=service).exists()


def test_bad_packages_and_deployments_show_the_api_s_errors_and_store_nothing(client, project):
    broken = push(client, project, archive=archive(b"class Nope:\n    pass\n"))
    assert broken.status_code == 200 and "ServiceRunner" in broken.content.decode()
    assert not Package.objects.exists()

    push(client, project)
    package = Package.objects.get(name="tools")
    for changes, message in (
        ({"package_revision": "7"}, "has no revision 7"),
        ({"module_name": "nope"}, "no module"),
        ({"execution_timeout": "0"}, "natural number"),
        ({"init_input": "[1]"}, "object keyed"),
    ):
        response = deploy(client, package, **changes)
        assert response.status_code == 200, changes
        assert message in response.content.decode(), changes
    assert not Service.objects.exists()


def test_a_new_revision_is_uploaded_and_a_service_updated_to_it(client, project):
    push(client, project)
    package = Package.objects.get(name="tools")
    deploy(client, package)
    service = Service.objects.get(name="tools")

    source = MAIN_PY + b"\n    def extra(self, item: dl.Item):\n        return 2\n"
    modules = json.loads(json.dumps(MODULES))
    modules[0]["functions"].append({"name": "extra", "inputs": [{"type": "Item", "name": "item"}]})
    response = client.post(
        change_url(package), {"archive": archive(source), "modules": json.dumps(modules), "slots": "[]"}
    )
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.version == 2 and package.latest.function("m", "extra") is not None

    # Saving the page again without changes makes no revision.
    client.post(change_url(package), {"modules": json.dumps(package.latest.modules), "slots": "[]"})
    package.refresh_from_db()
    assert package.version == 2

    form = {"package_revision": "2", "module_name": "m", **SERVICE_SETTINGS}
    version = service.config_version
    assert client.post(change_url(service), form).status_code == 302
    service.refresh_from_db()
    assert service.package_revision == 2 and service.config_version == version + 1
