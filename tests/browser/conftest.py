"""Fixtures for the page tests: a real server with the demo, Debian's Chromium, logged-in pages.

One server (daphne, embedded dispatcher, real replicas) and one Chromium serve the whole
browser suite. Each test gets fresh browser contexts, logged in through the real
`/login/` form, and every page a test opens is photographed when the test ends, passed
or failed, to `test-artifacts/browser/<test name>.png`.

The pages are selected by the hooks of `docs/studio.md` (the DOM contract), nothing else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import DESKTOP
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, navigate_again_on_network_change
from tests.support.functions import FunctionsApi, slot

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"

# The suite runs beside the other test chain on two cores: what a page waits for from the
# server may take longer than Playwright's 5 s there, without anything being wrong.
expect.set_options(timeout=10_000)
navigate_again_on_network_change()

# Tiny packages the tests push into the Demo project next to the demo's own.
TOUCH_CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def touch(self, item: dl.Item):
        return {"name": item.name}
"""


@dataclass(frozen=True)
class Demo:
    """Ids of what `load_demo` made, read from the server once."""

    project_id: int
    dataset_id: int
    service_id: int  # the demo's `image-processing` service
    task_id: int
    items: dict[str, dict]  # by name: {id, dir, scene, mimetype}

    def item(self, name: str) -> dict:
        return self.items[name]

    @property
    def browser_url(self) -> str:
        return f"/projects/{self.project_id}/datasets/{self.dataset_id}/"

    def studio_url(self, item_name: str) -> str:
        return f"/projects/{self.project_id}/items/{self.item(item_name)['id']}/"

    @property
    def executions_url(self) -> str:
        return f"/projects/{self.project_id}/executions/"


def pytest_collection_modifyitems(config, items):
    """Without Debian's Chromium there is nothing to drive: skip, and say why."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium as root)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    from tests.support.live import LiveServer

    # A zip of one item at most: a download of several results is refused, and the page
    # must say so (test_post_actions.py).
    live = LiveServer(home=tmp_path_factory.mktemp("browser-home"), DATASLOT_MAX_ZIP_ITEMS="1")
    live.manage("load_demo")
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def demo(server) -> Demo:
    found = server.python(
        """
import json
from faas.models import Service
from workspace.models import Dataset, Item, Project, Task
p = Project.objects.get(name="Demo")
d = Dataset.objects.get(project=p, name="Samples")
items = {
    i.name: {"id": i.id, "dir": i.dir, "scene": (i.metadata.get("user") or {}).get("scene"), "mimetype": i.mimetype}
    for i in Item.objects.filter(dataset=d)
}
print(json.dumps({
    "project_id": p.id, "dataset_id": d.id,
    "service_id": Service.objects.get(project=p, name="image-processing").id,
    "task_id": Task.objects.filter(dataset=d).order_by("id").first().id,
    "items": items,
}))
"""
    )
    return Demo(**json.loads(found.strip().splitlines()[-1]))


@pytest.fixture(scope="session")
def demo_token(server) -> str:
    return (
        server.python(
            "from rest_framework.authtoken.models import Token; from django.contrib.auth.models import User;"
            "print(Token.objects.get_or_create(user=User.objects.get(username='demo'))[0].key)"
        )
        .strip()
        .splitlines()[-1]
    )


@pytest.fixture(scope="session")
def api(server, demo_token) -> FunctionsApi:
    """The demo user's REST client, to set up what a test needs and to check outcomes."""
    return FunctionsApi(server, demo_token)


@pytest.fixture(scope="session")
def annotator(server) -> tuple[str, str]:
    """A second member of Demo, role annotator: (username, password)."""
    server.create_user("anna", "anna-pw", project="Demo", role="annotator")
    return "anna", "anna-pw"


@pytest.fixture(scope="session")
def outsider(server) -> tuple[str, str, int]:
    """A user of another project only: (username, password, their project's id)."""
    token = server.create_user("olga", "olga-pw", project="Elsewhere", role="owner")
    projects = FunctionsApi(server, token).call("GET", "/projects/", 200).json()
    (project,) = projects if isinstance(projects, list) else projects["results"]
    return "olga", "olga-pw", project["id"]


def push_touch_service(api: FunctionsApi, project_id: int, name: str, *, filter: dict, active: bool = True) -> dict:
    """A tiny package+service with one item slot (`touch`, browser panel) activated in the project."""
    touch_slot = slot("touch", name, "noAction", panel="browser", filter=filter)
    package = api.push(
        project_id,
        name,
        TOUCH_CODE,
        [{"name": "touch", "inputs": [{"name": "item", "type": "Item"}]}],
        slots=[touch_slot],
    )
    service = api.deploy(project_id, package, name)
    api.call("POST", f"/services/{service['id']}/activate-slots/", 200, json={"projectId": project_id, "slots": None})
    if not active:
        service = api.call("POST", f"/services/{service['id']}/pause/", 200).json()
    return service


@pytest.fixture(scope="session")
def gradient_only_service(api, demo) -> dict:
    """Active; its slot ("Gradients only") shows in the browser but accepts only gradient scenes."""
    return push_touch_service(api, demo.project_id, "Gradients only", filter={"metadata.user.scene": "gradient"})


@pytest.fixture(scope="session")
def paused_service(api, demo) -> dict:
    """Its slot ("Paused tool") matches every item, but the service is paused."""
    return push_touch_service(api, demo.project_id, "Paused tool", filter={}, active=False)


@pytest.fixture(scope="session")
def finished_execution(api, demo) -> dict:
    """One finished execution of the demo (Call labelling API), for the pages that show executions."""
    item = demo.item("shapes-01.png")
    (execution,) = api.run_slot(demo.project_id, demo.service_id, "use_secret", [item["id"]])
    return api.wait(execution["id"], timeout=60)


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium as root)")
    chromium = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def _artifact_name(node_name: str, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", node_name + suffix) + ".png"


def log_in(page, base_url: str, username: str, password: str) -> None:
    """Through the real form, as a person would."""
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/login/" in page.url:
        raise AssertionError(f"could not log in as {username}: still on {page.url}")


@pytest.fixture
def new_page(request, browser, server):
    """Open a page in a fresh context (its own cookies), logged in unless `username` is None.

    Every page is photographed at the end of the test; the first as `<test>.png`, the
    others as `<test>-<label>.png`. Whatever the browser refused under the pages'
    Content-Security-Policy (an inline script, eval, a foreign connection) fails the test.
    """
    opened = []
    refused = []

    def open_page(
        username: str | None = "demo",
        password: str = "demo",
        *,
        label: str = "",
        viewport: dict | None = None,
        **context_options,
    ):
        context = browser.new_context(
            viewport=viewport or DESKTOP, accept_downloads=True, base_url=server.url, **context_options
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on(
            "console",
            lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
        )
        opened.append((page, label or (f"{len(opened) + 1}" if opened else "")))
        if username is not None:
            log_in(page, server.url, username, password)
        return page

    yield open_page

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page, label in opened:
        try:
            page.screenshot(path=str(ARTIFACTS / _artifact_name(request.node.name, f"-{label}" if label else "")))
        except Exception as error:  # a crashed page must not hide the test's own failure
            print(f"screenshot failed: {error}")
        page.context.close()
    assert not refused, f"the browser refused under the Content-Security-Policy: {refused}"


@pytest.fixture(scope="session")
def demo_session(browser, server) -> dict:
    """The demo user's cookies, logged in once through the real form: tests that open many
    pages pass it as `new_page(None, storage_state=demo_session)` instead of logging in each time."""
    context = browser.new_context(base_url=server.url)
    try:
        log_in(context.new_page(), server.url, "demo", "demo")
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def page(new_page):
    """The demo user's page (demo/demo), 1280x800, downloads accepted."""
    return new_page("demo", "demo")
