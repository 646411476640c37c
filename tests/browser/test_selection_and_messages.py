"""Selecting in the dataset and tasks browsers, the Applications menu by keyboard, and the
messages a user gets: a failure, a wrong output for the post-action, logs followed live.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import (
    assert_no_reload,
    item_named,
    marker_survives,
    notices,
    results,
    run_slot,
    select_item,
)
from tests.support.functions import slot

pytestmark = pytest.mark.browser

MENU_ITEMS = "#applications-menu [role=menuitem]"

MESSAGES_CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def boom(self, item: dl.Item):
        raise ValueError("bad pixels")

    def not_an_item(self, item: dl.Item):
        return {"x": 1}
"""


@pytest.fixture(scope="module")
def messages_service(api, demo) -> dict:
    """A tiny package in Demo: `boom` fails with "bad pixels"; `not_an_item` returns JSON where `download` wants an item."""
    functions = [{"name": name, "inputs": [{"name": "item", "type": "Item"}]} for name in ("boom", "not_an_item")]
    slots = [
        slot("boom", "Boom", "noAction", panel="browser"),
        slot("not_an_item", "Not an item", "download", panel="browser"),
    ]
    package = api.push(demo.project_id, "messages", MESSAGES_CODE, functions, slots=slots)
    service = api.deploy(demo.project_id, package, "messages")
    api.call(
        "POST", f"/services/{service['id']}/activate-slots/", 200, json={"projectId": demo.project_id, "slots": None}
    )
    return service


def executions_of(api, demo, function_name: str) -> dict[int, dict]:
    body = api.call(
        "GET",
        f"/projects/{demo.project_id}/executions/",
        200,
        params={"functionName": function_name, "page_size": 1000},
    ).json()
    assert not (isinstance(body, dict) and body.get("next")), "more executions than one page: raise page_size"
    return {e["id"]: e for e in results(body)}


def item_id_of(execution: dict) -> int:
    reference = execution["input"]["item"]
    return reference["item_id"] if isinstance(reference, dict) else reference


def tile_boxes(page):
    return page.locator(".item-tile[data-item-id] input[type=checkbox].select-item")


def tile_ids(page) -> list[int]:
    return [
        int(i) for i in page.locator(".item-tile[data-item-id]").evaluate_all("ts => ts.map(t => t.dataset.itemId)")
    ]


def resolve_asks_for(ids: list[int]):
    """A predicate for the page's `slots/resolve/` request about exactly these item ids."""

    def matches(request) -> bool:
        if not (request.url.endswith("/slots/resolve/") and request.method == "POST"):
            return False
        selection = (request.post_data_json or {}).get("selection") or {}
        return sorted(selection.get("ids") or []) == sorted(ids)

    return matches


def test_shift_click_selects_and_clears_a_range(page, demo):
    page.goto(demo.browser_url)
    boxes = tile_boxes(page)
    expect(boxes.nth(8)).to_be_visible()
    ids = tile_ids(page)

    boxes.nth(2).click()
    expect(page.locator("#selection-summary")).to_have_text("1 selected")
    with page.expect_request(resolve_asks_for(ids[2:7])):
        boxes.nth(6).click(modifiers=["Shift"])
    expect(page.locator("#selection-summary")).to_have_text("5 selected")
    for index in range(9):
        if 2 <= index <= 6:
            expect(boxes.nth(index)).to_be_checked()
        else:
            expect(boxes.nth(index)).not_to_be_checked()

    # A shift-click that unchecks clears the range back to the last click.
    with page.expect_request(resolve_asks_for(ids[2:4])):
        boxes.nth(4).click(modifiers=["Shift"])
    expect(page.locator("#selection-summary")).to_have_text("2 selected")
    for index in range(9):
        if index in (2, 3):
            expect(boxes.nth(index)).to_be_checked()
        else:
            expect(boxes.nth(index)).not_to_be_checked()


def test_select_all_matching_a_filter_runs_once_per_matching_item_and_sends_no_id_list(page, demo, api):
    matching = {
        item["id"]
        for item in results(
            api.call(
                "GET",
                f"/datasets/{demo.dataset_id}/items/",
                200,
                params={"filter": json.dumps({"dir": "/gradients"}), "page_size": 1000},
            ).json()
        )
    }
    assert len(matching) >= 2, matching

    page.goto(demo.browser_url)
    page.fill("#filter-dir", "/gradients")
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    expect(page.locator(".item-tile[data-item-id]").first).to_be_visible()
    assert set(tile_ids(page)) <= matching, "the filter shows items outside /gradients"

    page.click("#select-all-matching")
    expect(page.locator("#select-all-matching")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#selection-summary")).to_have_text("All items matching the filter")
    for index in range(tile_boxes(page).count()):
        expect(tile_boxes(page).nth(index)).to_be_checked()

    before = set(executions_of(api, demo, "use_secret"))
    with page.expect_request(lambda r: r.url.endswith("/slots/run/") and r.method == "POST") as sent:
        executions = run_slot(page, demo.service_id, "use_secret")
    selection = sent.value.post_data_json["selection"]
    assert selection.get("all") is True, selection
    assert "ids" not in selection, f"the page sent a list of ids: {selection}"
    assert selection.get("excluded") == [], selection
    assert selection.get("datasetId") == demo.dataset_id, selection
    assert "/gradients" in json.dumps(selection.get("filter")), selection
    assert len(executions) == len(matching)

    expect(notices(page, "status").filter(has_text="Call labelling API").filter(has_text="finished")).not_to_have_count(
        0, timeout=60_000
    )
    for execution in executions:
        assert api.wait(execution["id"], timeout=60)["status"] == "success"
    created = {i: e for i, e in executions_of(api, demo, "use_secret").items() if i not in before}
    assert len(created) == len(matching), sorted(created)
    assert sorted(item_id_of(e) for e in created.values()) == sorted(matching), "one execution per matching item"


def test_the_applications_menu_works_from_the_keyboard(page, demo, messages_service):
    page.goto(demo.browser_url)
    button = page.locator("#applications-button")
    menu = page.locator("#applications-menu")
    items = page.locator(MENU_ITEMS)

    button.focus()
    page.keyboard.press("ArrowDown")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    count = items.count()
    assert count >= 3, f"expected several slots in the browser's menu, found {count}"
    expect(items.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(items.nth(count - 1)).to_be_focused()
    page.keyboard.press("ArrowDown")  # wraps around
    expect(items.nth(0)).to_be_focused()
    page.keyboard.press("Home")
    expect(items.nth(0)).to_be_focused()

    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()

    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(items.nth(0)).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()


def test_a_failing_execution_shows_its_message_as_an_alert(page, demo, api, messages_service):
    page.goto(demo.browser_url)
    select_item(page, item_named(demo, "label-04.")[1]["id"])
    (execution,) = run_slot(page, messages_service["id"], "boom")

    alert = notices(page, "alert").filter(has_text="bad pixels")
    expect(alert).not_to_have_count(0, timeout=60_000)
    expect(alert.first).to_contain_text("Boom")

    done = api.wait(execution["id"], timeout=30)
    assert done["status"] == "failed", done
    assert "bad pixels" in json.dumps(done["latestStatus"]) + json.dumps(done["statusLog"]), done


def test_an_output_of_the_wrong_type_for_the_post_action_is_reported_plainly(page, demo, api, messages_service):
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(demo.browser_url)
    select_item(page, item_named(demo, "label-05.")[1]["id"])
    (execution,) = run_slot(page, messages_service["id"], "not_an_item")

    report = notices(page).filter(has_text="Not an item").filter(has_text=re.compile(r"no item", re.I))
    expect(report).not_to_have_count(0, timeout=60_000)
    text = report.first.inner_text()
    for noise in ("undefined", "null", "[object", "Traceback", "{"):
        assert noise not in text, f"the notice is not plain: {text!r}"

    done = api.wait(execution["id"], timeout=30)
    assert (done["status"], done["output"]) == ("success", {"x": 1}), done
    page.wait_for_timeout(300)
    assert not downloads, f"a download started for an output that is no item: {downloads}"


def test_an_executions_page_follows_its_logs_live_and_terminates_it(page, demo, api):
    _, item = item_named(demo, "pattern-03.")
    (execution,) = api.run_slot(demo.project_id, demo.service_id, "long_job", [item["id"]])
    page.goto(f"{demo.executions_url}{execution['id']}/")
    logs = page.locator("#execution-logs")
    expect(logs).to_be_attached()
    marker_survives(page)

    # Once the page shows a line, two more must arrive over the websocket.
    expect(logs).to_contain_text("finished step", timeout=20_000)
    shown = [int(n) for n in re.findall(r"finished step (\d+)", logs.text_content() or "")]
    later = max(shown) + 2
    assert later <= 20, f"the job had nearly finished before the page was read: {shown}"
    expect(logs).to_contain_text(f"finished step {later} ", timeout=20_000)
    assert_no_reload(page)

    summary = page.locator(f'[data-list=summary][data-execution-id="{execution["id"]}"]')
    summary.locator("button[data-action=terminate]").click()
    expect(summary).to_have_attribute("data-status", "terminated", timeout=15_000)
    expect(page.locator("[data-logs-state]")).to_have_text("Finished")
    assert api.execution(execution["id"])["status"] == "terminated"
    steps = [int(n) for n in re.findall(r"finished step (\d+)", api.logs(execution["id"]))]
    assert steps and max(steps) < 20, steps
    assert_no_reload(page)


def test_summarize_task_runs_on_the_selected_task_from_the_tasks_browser(page, demo, api):
    page.goto(f"/projects/{demo.project_id}/tasks/")
    page.locator(f'tr[data-task-id="{demo.task_id}"] input[type=checkbox].select-task').check()
    expect(page.locator("#task-selection-count")).to_have_text("1 task selected")

    (execution,) = run_slot(page, demo.service_id, "summarize_task")
    expect(notices(page, "status").filter(has_text="Summarize task").filter(has_text="finished")).not_to_have_count(
        0, timeout=30_000
    )

    done = api.wait(execution["id"], timeout=30)
    assert done["status"] == "success", done
    reference = done["input"]["task"]
    assert (reference["task_id"] if isinstance(reference, dict) else reference) == demo.task_id
    task = api.call("GET", f"/tasks/{demo.task_id}/", 200).json()
    assert done["output"]["task"] == task["name"], done["output"]
