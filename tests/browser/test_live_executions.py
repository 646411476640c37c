"""The executions pages are live: new rows at the top (filters respected), rows change in
place, an execution's page follows it, and a page that missed messages re-reads its rows."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.pages import assert_no_reload, marker_survives

pytestmark = pytest.mark.browser

TABLE = '[data-execution-list="table"]'


def long_job(api, demo, steps: int) -> dict:
    item = demo.item("pattern-01.jpg")
    return api.execute(demo.service_id, "long_job", {"item": item["id"], "steps": steps})


def test_new_executions_appear_at_the_top_of_the_filtered_executions_page_and_change_in_place(
    page, demo, api, gradient_only_service
):
    page.goto(f"{demo.executions_url}?service={demo.service_id}")
    marker_survives(page)
    execution = long_job(api, demo, 4)
    elsewhere = api.execute(gradient_only_service["id"], "touch", {"item": demo.item("pattern-01.jpg")["id"]})

    first = page.locator(f"{TABLE} > [data-execution-id]").first
    expect(first).to_have_attribute("data-execution-id", str(execution["id"]), timeout=15_000)
    expect(first).to_have_attribute("data-status", "in-progress", timeout=30_000)
    expect(first.locator("[role=progressbar]")).not_to_have_attribute("aria-valuenow", "0", timeout=15_000)
    expect(first).to_have_attribute("data-status", "success", timeout=30_000)
    expect(first.locator(".badge")).to_have_text("Succeeded")
    # The other service's execution ran too, but this page's filter keeps it out.
    assert api.wait(elsewhere["id"])["status"] == "success"
    expect(page.locator(f'{TABLE} > [data-execution-id="{elsewhere["id"]}"]')).to_have_count(0)
    assert_no_reload(page)


def test_the_execution_page_follows_status_progress_and_logs_live(page, demo, api):
    execution = long_job(api, demo, 6)
    page.goto(f"{demo.executions_url}{execution['id']}/")
    marker_survives(page)
    summary = page.locator(f'[data-list="summary"][data-execution-id="{execution["id"]}"]')
    expect(summary).to_have_attribute("data-status", "in-progress", timeout=30_000)
    expect(summary.locator("[role=progressbar]")).not_to_have_attribute("aria-valuenow", "0", timeout=15_000)
    expect(page.locator("#execution-logs")).to_contain_text("finished step 1", timeout=15_000)
    expect(summary).to_have_attribute("data-status", "success", timeout=30_000)
    expect(page.locator("#execution-logs")).to_contain_text("finished step 6", timeout=15_000)
    expect(page.locator("[data-logs-state]")).to_have_text("Finished")
    expect(page.locator("#status-log-title + .table-wrap")).to_contain_text("success")
    assert_no_reload(page)


def test_a_page_whose_live_messages_were_lost_notices_the_gap_and_re_reads_its_rows(page, demo, api):
    """The studio socket passes through a proxy in the page that drops every message for a while."""
    dropping = {"on": False, "dropped": 0}

    def proxy(ws):
        server = ws.connect_to_server()

        def to_page(message):
            if dropping["on"]:
                dropping["dropped"] += 1
                return
            ws.send(message)

        server.on_message(to_page)

    page.route_web_socket(re.compile(r".*/ws/studio/projects/\d+/(\?view=[a-z]+)?$"), proxy)
    page.goto(demo.executions_url)
    marker_survives(page)
    shown = long_job(api, demo, 2)
    row = page.locator(f'{TABLE} > [data-execution-id="{shown["id"]}"]')
    expect(row).to_have_attribute("data-status", "in-progress", timeout=30_000)

    dropping["on"] = True
    unseen = api.execute(demo.service_id, "use_secret", {"item": demo.item("label-02.jpg")["id"]})
    # Playwright hands the proxy its messages only while the test is inside a Playwright call.
    deadline = time.monotonic() + 30
    while {api.execution(e["id"])["status"] for e in (shown, unseen)} != {"success"}:
        assert time.monotonic() < deadline, "the executions did not finish"
        page.wait_for_timeout(250)
    page.wait_for_timeout(1000)  # their last messages reach the proxy, and are dropped
    dropping["on"] = False
    assert dropping["dropped"] > 0

    # The next heartbeat's number is ahead of the page's: it re-reads, and shows the truth.
    expect(row).to_have_attribute("data-status", "success", timeout=15_000)
    new_row = page.locator(f'{TABLE} > [data-execution-id="{unseen["id"]}"]')
    expect(new_row).to_have_attribute("data-status", "success", timeout=15_000)
    assert page.evaluate("Dataslot.live.resyncs") >= 1
    assert_no_reload(page)


def test_a_page_that_sees_the_numbers_start_again_under_a_new_epoch_re_reads_its_rows(page, demo):
    # What Redis restarting with nothing kept looks like to a page (live/events.py): the
    # next batch is number 1 of a new epoch. The page's own script is driven directly, in
    # one evaluation, so that no real message comes in between.
    page.goto(demo.executions_url)
    marker_survives(page)
    expect(page.locator("#executions-drawer")).to_be_attached()
    with page.expect_request(lambda r: "/executions/rows/" in r.url) as reread:
        state = page.evaluate(
            """() => {
                const live = Dataslot.live;
                live.seen(41, true, "epoch-before");
                const before = live.resyncs;
                live.seen(1, false, "epoch-after");
                const after = {resyncs: live.resyncs - before, last: live.last, epoch: live.epoch};
                live.seen(2, false, "epoch-after");  // and the new numbers are followed
                after.next = [live.resyncs - before, live.last];
                return after;
            }"""
        )
    assert reread.value.method == "GET"
    assert state == {"resyncs": 1, "last": 1, "epoch": "epoch-after", "next": [1, 2]}
    assert_no_reload(page)
