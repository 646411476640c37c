"""The executions pages are live: new rows at the top (filters respected), rows change in
place, an execution's page follows it, and a page that missed messages re-reads its rows."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.pages import assert_no_reload, marker_survives

pytestmark = pytest.mark.browser

TABLE = '[data-execution-list="table"]'
STUDIO_SOCKET = re.compile(r".*/ws/studio/projects/\d+/(\?view=[a-z]+)?$")


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

    page.route_web_socket(STUDIO_SOCKET, proxy)
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


def test_an_execution_that_finished_before_the_pages_socket_opened_is_shown_finished(page, demo, api):
    """Its last batch went while the page was rendered but its socket not yet subscribed:
    the socket, once open, has the page re-read what it shows."""
    held = {"on": True}

    def connect_when_let(ws):
        while held["on"]:  # the page's socket stays connecting meanwhile
            page.wait_for_timeout(100)
        ws.connect_to_server()

    execution = long_job(api, demo, 4)
    api.wait(execution["id"], until={"in-progress"})
    page.route_web_socket(STUDIO_SOCKET, connect_when_let)
    page.goto(demo.executions_url)
    marker_survives(page)
    row = page.locator(f'{TABLE} > [data-execution-id="{execution["id"]}"]')
    expect(row).to_have_attribute("data-status", "in-progress")
    deadline = time.monotonic() + 30
    while api.execution(execution["id"])["status"] != "success":
        assert time.monotonic() < deadline, "the execution did not finish"
        page.wait_for_timeout(250)
    page.wait_for_timeout(1000)  # its last batch has gone, to no socket of this page
    assert row.get_attribute("data-status") == "in-progress"

    held["on"] = False
    expect(row).to_have_attribute("data-status", "success")
    assert_no_reload(page)


def test_a_socket_the_server_closes_normally_is_reconnected_and_a_refused_one_is_not(page, demo):
    sockets = []

    def through(ws):
        sockets.append(ws)
        ws.connect_to_server()

    def wait_for_sockets(count: int, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        while len(sockets) < count and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        return len(sockets)

    page.route_web_socket(STUDIO_SOCKET, through)
    page.goto(demo.executions_url)
    marker_survives(page)
    assert wait_for_sockets(1, 10) == 1
    page.wait_for_timeout(500)

    sockets[-1].close(code=1000)  # what daphne's websocket_timeout sends: htmx's extension would stay closed
    assert wait_for_sockets(2, 10) == 2
    page.wait_for_timeout(500)
    sockets[-1].close(code=4403)  # access revoked: final
    assert wait_for_sockets(3, 4) == 2
    assert_no_reload(page)
