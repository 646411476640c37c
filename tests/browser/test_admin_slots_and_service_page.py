"""An administrator configures a slot entirely in the admin, and a developer watches its service.

The admin's forms are filled in Chromium like a person would (no API call sets anything
up); the slot is then clicked in the annotation studio, and the service's page follows the
run live and pauses the service.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TOUCH_CODE, log_in, push_touch_service
from tests.browser.pages import notices, open_applications, run_slot
from tests.support.functions import archive

pytestmark = pytest.mark.browser

MODULES = '[{"name": "m", "functions": [{"name": "touch", "inputs": [{"name": "item", "type": "Item"}]}]}]'
NAME = "admin-made"


def save(page) -> None:
    with page.expect_navigation():
        page.click("input[name=_save]")


@pytest.fixture(scope="module")
def admin_made(browser, server, demo, api) -> dict:
    """Package pushed, service deployed and slot activated and edited, all through the admin pages."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, server.url, "demo", "demo")  # a superuser: the admin is theirs

    page.goto("/admin/faas/package/add/")
    page.select_option("select[name=project]", label="Demo")
    page.fill("input[name=name]", NAME)
    page.set_input_files(
        "input[name=archive]",
        files=[{"name": "code.zip", "mimeType": "application/zip", "buffer": archive({"main.py": TOUCH_CODE})}],
    )
    page.fill("textarea[name=modules]", MODULES)
    save(page)
    expect(page.locator(".messagelist .success")).to_contain_text(NAME)

    page.goto("/admin/faas/service/add/")
    page.select_option("select[name=package]", label=f"Demo / {NAME} (newest: 1)")
    page.fill("input[name=name]", NAME)
    save(page)
    expect(page.locator(".messagelist .success")).to_contain_text(NAME)
    (service,) = [s for s in api.call("GET", f"/projects/{demo.project_id}/services/", 200).json() if s["name"] == NAME]

    page.goto("/admin/faas/slotactivation/add/")
    page.select_option("select[name=service]", label=f"Demo / {NAME}")
    save(page)  # straight on to the slots just activated

    page.check("input[name=slot0_active]")
    page.fill("input[name=slot0_display_name]", "Touch from the admin")
    page.fill("input[name=slot0_display_icon]", "icon-check")
    page.select_option("select[name=slot0_post_action]", "noAction")
    page.select_option("select[name=slot0_scope0_resource]", "item")
    page.select_option("select[name=slot0_scope0_panel]", "studio")
    # A filter that does not parse: the form says why, and nothing is stored.
    page.fill("textarea[name=slot0_scope0_filter]", '{"metadata.user.scene": ')
    save(page)
    expect(page.locator(".errorlist")).to_contain_text("not valid JSON")
    assert _slot_names(api, demo) == set()

    page.fill("textarea[name=slot0_scope0_filter]", '{"metadata.user.scene": "gradient"}')
    save(page)
    expect(page.locator(".messagelist .success")).to_be_visible()
    context.close()
    return service


def _slot_names(api, demo) -> set[str]:
    answer = api.call(
        "POST", f"/projects/{demo.project_id}/slots/resolve/", 200, json={"resource": "item", "panel": "studio"}
    ).json()
    return {s["displayName"] for s in answer if s["serviceName"] == NAME}


def test_a_slot_configured_in_the_admin_runs_from_the_studio(page, demo, api, admin_made):
    assert _slot_names(api, demo) == {"Touch from the admin"}
    page.goto(demo.studio_url("gradient-03.png"))
    (execution,) = run_slot(page, admin_made["id"], "touch")
    assert api.wait(execution["id"], timeout=60)["status"] == "success"
    finished = notices(page, "status").filter(has_text="Touch from the admin")
    expect(finished.first).to_be_visible(timeout=20_000)


def test_the_service_page_follows_runs_live_and_pauses_the_service(page, demo, api, admin_made):
    item = demo.item("gradient-03.png")
    # From the Applications menu of the studio to the services, and on to this one.
    page.goto(demo.studio_url("gradient-03.png"))
    with page.expect_navigation():
        open_applications(page).locator("a[role=menuitem].applications__services").click()
    with page.expect_navigation():
        page.click(f'tr[data-service-id="{admin_made["id"]}"] a')
    expect(page.locator("#service-live")).to_have_attribute("data-state", "active")

    # A run started elsewhere shows up without a reload (the page polls), with its chart bar.
    execution = api.execute(admin_made["id"], "touch", {"item": item["id"]})
    api.wait(execution["id"], timeout=60)
    row = page.locator(f'.service-executions tr[data-execution-id="{execution["id"]}"]')
    expect(row).to_have_attribute("data-status", "success", timeout=15_000)
    expect(page.locator('svg#executions-chart rect[data-status="success"]').first).to_be_attached()

    page.click("button[data-action=pause]")
    expect(page.locator("#service-live")).to_have_attribute("data-state", "paused")
    assert api.call("GET", f"/services/{admin_made['id']}/", 200).json()["active"] is False
    page.click("button[data-action=resume]")
    expect(page.locator("#service-live")).to_have_attribute("data-state", "active")
    assert api.call("GET", f"/services/{admin_made['id']}/", 200).json()["active"] is True


def test_a_service_deleted_while_its_page_is_open_is_said_plainly(page, demo, api):
    service = push_touch_service(api, demo.project_id, "Soon gone", filter={})
    page.goto(f"/projects/{demo.project_id}/services/{service['id']}/")
    expect(page.locator("#service-live")).to_have_attribute("data-state", "active")
    api.call("DELETE", f"/services/{service['id']}/", 204)
    # The next poll (every 5 s) brings the message and stops polling.
    expect(page.locator("#service-gone")).to_contain_text("no longer exists", timeout=15_000)
    expect(page.locator("#service-live")).to_have_attribute("data-state", "gone")
