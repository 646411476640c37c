"""The Applications dropdown shows the slots a page's scope allows, enabled or disabled with the reason."""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import open_applications, select_item, slot, slot_names

pytestmark = pytest.mark.browser


def test_the_dataset_browser_lists_the_item_slots_for_browser_and_all(page, demo, gradient_only_service):
    page.goto(demo.browser_url)
    select_item(page, demo.item("shapes-02.jpg")["id"])
    expect(page.locator("#applications-button")).to_have_attribute("aria-haspopup", "menu")
    menu = open_applications(page)
    expect(menu).to_have_attribute("role", "menu")
    expect(slot(page, demo.service_id, "rgb2gray")).to_be_visible()

    names = slot_names(page)
    assert {"RGB2GRAY", "Long job", "Call labelling API"} <= set(names), names
    assert not {"Detect objects", "Summarize task", "Describe annotation"} & set(names), names
    for function_name in ("detect", "summarize_task", "describe_annotation"):
        expect(slot(page, demo.service_id, function_name)).to_have_count(0)


def test_a_slot_whose_filter_excludes_the_selected_item_is_disabled_with_its_reason(page, demo, gradient_only_service):
    gradients_only = slot(page, gradient_only_service["id"], "touch")
    page.goto(demo.browser_url)

    select_item(page, demo.item("shapes-02.jpg")["id"])  # a shapes scene: the filter wants gradients
    open_applications(page)
    expect(gradients_only).to_have_attribute("aria-disabled", "true")
    expect(gradients_only.locator(".slot-reason")).to_contain_text("not match")
    # The demo's own slots accept the same item.
    expect(slot(page, demo.service_id, "rgb2gray")).not_to_have_attribute("aria-disabled", "true")

    page.keyboard.press("Escape")
    page.locator(".select-item:checked").uncheck()
    select_item(page, demo.item("gradient-02.jpg")["id"])
    open_applications(page)
    expect(gradients_only).not_to_have_attribute("aria-disabled", "true")
    expect(gradients_only.locator(".slot-reason")).to_have_count(0)


def test_a_paused_services_slot_is_disabled_and_a_forged_click_is_refused(page, demo, paused_service, api):
    page.goto(demo.browser_url)
    item_id = demo.item("shapes-02.jpg")["id"]
    select_item(page, item_id)
    open_applications(page)
    paused = slot(page, paused_service["id"], "touch")
    expect(paused).to_have_attribute("aria-disabled", "true")
    expect(paused.locator(".slot-reason")).to_contain_text("paused", ignore_case=True)

    before = api.call(
        "GET", f"/projects/{demo.project_id}/executions/", 200, params={"serviceId": paused_service["id"]}
    )
    paused.click(force=True)  # a click on the disabled item does nothing
    forged = page.evaluate(
        """async ([projectId, serviceId, itemId]) => {
            const fromCookie = (document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1];
            const fromPage = JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRFToken'];
            const response = await fetch(`/api/projects/${projectId}/slots/run/`, {
                method: 'POST',
                credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': fromPage || fromCookie},
                body: JSON.stringify({serviceId, functionName: 'touch', resource: 'item', panel: 'browser',
                                      selection: {ids: [itemId]}}),
            });
            return {status: response.status, body: await response.text()};
        }""",
        [demo.project_id, paused_service["id"], item_id],
    )
    assert forged["status"] == 409, forged
    after = api.call("GET", f"/projects/{demo.project_id}/executions/", 200, params={"serviceId": paused_service["id"]})
    assert after.json()["results"] == before.json()["results"], "a paused service's slot created an execution"
