"""The demo's functions: pushed, deployed with a secret, and their slots activated.

Idempotent: a package, service or integration that exists is left as it is.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from pathlib import Path

from faas.models import Integration, Package, Service
from faas.services.integrations import integration_create
from faas.services.packages import package_push
from faas.services.services import service_deploy, slots_activate

PACKAGE_DIR = Path(__file__).resolve().parent / "demo_package"
NAME = "image-processing"
IMAGES = {"$and": [{"hidden": False}, {"type": "file"}, {"metadata.system.mimetype": "image/*"}]}


def _item(name):
    return {"type": "Item", "name": name}


MODULES = [
    {
        "name": NAME,
        "entryPoint": "main.py",
        "className": "ServiceRunner",
        "functions": [
            {"name": "rgb2gray", "displayName": "RGB to gray", "inputs": [_item("item")], "outputs": [_item("item")]},
            {"name": "detect", "inputs": [_item("item")], "outputs": [{"type": "Annotation", "name": "annotation"}]},
            {"name": "long_job", "inputs": [_item("item"), {"type": "Integer", "name": "steps", "value": 20}]},
            {"name": "summarize_task", "inputs": [{"type": "Task", "name": "task"}]},
            {"name": "describe_annotation", "inputs": [{"type": "Annotation", "name": "annotation"}]},
            {"name": "use_secret", "inputs": [_item("item")]},
        ],
    }
]


def _slot(function, display, post_action, *scopes, icon=""):
    # Icons are plain Unicode symbols that common fonts carry, not emoji (which need an emoji font).
    return {
        "moduleName": NAME,
        "functionName": function,
        "displayName": display,
        "postAction": {"type": post_action},
        "displayIcon": icon,
        "displayScopes": [{"resource": r, "panel": p, "filter": f} for r, p, f in scopes],
    }


SLOTS = [
    _slot("rgb2gray", "RGB2GRAY", "download", ("item", "all", IMAGES), icon="◐"),
    _slot("detect", "Detect objects", "drawAnnotation", ("item", "studio", {}), icon="▣"),
    _slot("long_job", "Long job", "noAction", ("item", "browser", {}), ("item", "table", {}), icon="◷"),
    _slot("summarize_task", "Summarize task", "noAction", ("task", "browser", {}), icon="☰"),
    _slot("describe_annotation", "Describe annotation", "noAction", ("annotation", "studio", {}), icon="✎"),
    _slot("use_secret", "Call labelling API", "noAction", ("item", "browser", {}), icon="⇄"),
]


def demo_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in PACKAGE_DIR.rglob("*.py"):
            zf.write(path, path.relative_to(PACKAGE_DIR).as_posix())
    return buffer.getvalue()


def load_demo_functions(*, project, user) -> Service:
    integration = Integration.objects.filter(project=project, name="DEMO_API_KEY").first()
    if integration is None:
        integration = integration_create(
            project=project, name="DEMO_API_KEY", value=secrets.token_urlsafe(16), user=user
        )
    package = Package.objects.filter(project=project, name=NAME).first()
    if package is None:
        package = package_push(
            project=project, name=NAME, archive=demo_archive(), modules=MODULES, slots=SLOTS, user=user
        )
    service = Service.objects.filter(project=project, name=NAME).first()
    if service is None:
        service, _ = service_deploy(
            project=project,
            package=package,
            name=NAME,
            secret_ids=[integration.id],
            fields={"execution_timeout": 600, "concurrency": 4},
            user=user,
        )
        slots_activate(service=service, project=project)
    return service
