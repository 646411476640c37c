"""Results show where the slot ran: a noAction notice says what came back and links to the
execution; the drawer names the slot and the item; the execution's page names its item."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.pages import execution_row, item_named, run_slot, select_item

pytestmark = pytest.mark.browser


def test_a_noaction_result_is_shown_in_its_notice_with_a_link_to_the_execution(page, server, demo, api):
    name, item = item_named(demo, "label-04")
    page.goto(demo.browser_url)
    select_item(page, item["id"])
    (execution,) = run_slot(page, demo.service_id, "use_secret")
    done = api.wait(execution["id"], timeout=60)
    assert done["status"] == "success", done

    row = execution_row(page, execution["id"], within="#executions-drawer")
    expect(row.locator(".execution-row__title")).to_have_text("Call labelling API")  # the slot, not the function
    expect(row.locator(".execution-row__meta")).to_contain_text(f"item “{name}”")

    output = json.dumps(done["output"], separators=(", ", ": "))
    notice = page.locator("#notices [role=status]").filter(has_text="Call labelling API finished")
    expect(notice).to_contain_text(output, timeout=15_000)
    notice.get_by_role("link", name=f"View execution #{execution['id']}").click()

    expect(page).to_have_url(f"{server.url}/projects/{demo.project_id}/executions/{execution['id']}/")
    runs_on = page.locator(".execution-summary .execution-entity a")
    expect(runs_on).to_have_text(f"item “{name}”")
    expect(runs_on).to_have_attribute("href", f"/projects/{demo.project_id}/items/{item['id']}/")
    expect(page.locator(".execution-summary .execution-output")).to_have_text(output)
    expect(page.locator("#execution-no-output")).to_have_count(0)
    service = api.call("GET", f"/services/{demo.service_id}/", 200).json()
    expect(page.locator("#execution-attempts")).to_contain_text(f"max attempts {service['maxAttempts']}")
