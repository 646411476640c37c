"""Executions are watched live: progress, termination, and who else sees them."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.pages import assert_no_reload, execution_row, marker_survives, run_slot, select_item

pytestmark = pytest.mark.browser

DRAWER = "#executions-drawer"


def progress_of(row) -> float:
    value = row.locator("[role=progressbar][aria-valuenow]").first.get_attribute("aria-valuenow")
    return float(value or 0)


def wait_for_progress_above(row, floor: float, timeout: float = 20) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = progress_of(row)
        if value > floor:
            return value
        time.sleep(0.1)
    raise AssertionError(f"progress stayed at {progress_of(row)} (expected above {floor}) for {timeout} s")


def test_the_long_jobs_progress_bar_moves_and_terminate_ends_it(page, demo, api):
    page.goto(demo.browser_url)
    marker_survives(page)
    select_item(page, demo.item("pattern-01.jpg")["id"])
    (execution,) = run_slot(page, demo.service_id, "long_job")

    row = execution_row(page, execution["id"], within=DRAWER)
    expect(row).to_have_attribute("data-status", "in-progress", timeout=30_000)
    first = wait_for_progress_above(row, 0)
    second = wait_for_progress_above(row, first)  # a step is half a second
    assert 0 < first < second < 100

    row.locator("button[data-action=terminate]").click()
    expect(row).to_have_attribute("data-status", "terminated", timeout=15_000)
    assert api.execution(execution["id"])["status"] == "terminated"
    expect(
        page.locator("#notices [role=status], #notices [role=alert]").filter(has_text="terminated")
    ).not_to_have_count(0)
    assert progress_of(row) < 100
    assert_no_reload(page)  # every change came over the websocket


def test_a_second_member_sees_the_executions_live_and_an_outsider_sees_none(
    page, new_page, demo, api, annotator, outsider
):
    outsider_name, outsider_password, outsider_project = outsider
    member = new_page(*annotator, label="annotator")
    member.goto(demo.executions_url)
    marker_survives(member)
    stranger = new_page(outsider_name, outsider_password, label="outsider")
    stranger.goto(f"/projects/{outsider_project}/executions/")
    marker_survives(stranger)

    page.goto(demo.browser_url)
    select_item(page, demo.item("label-02.jpg")["id"])
    select_item(page, demo.item("label-03.jpg")["id"])
    executions = run_slot(page, demo.service_id, "use_secret")
    assert len(executions) == 2
    # noAction: the clicking user is told the run finished, and nothing else happens.
    finished = page.locator("#notices [role=status]").filter(has_text="Call labelling API")
    expect(finished.filter(has_text="finished")).not_to_have_count(0, timeout=30_000)

    for execution in executions:
        row = execution_row(member, execution["id"])
        expect(row).to_have_attribute("data-status", "success", timeout=60_000)
        assert api.execution(execution["id"])["status"] == "success"
    assert_no_reload(member)  # they came over the websocket, not by reloading

    # The outsider's own executions page, open all along, got none of them ...
    assert_no_reload(stranger)
    expect(stranger.locator("[data-execution-id]")).to_have_count(0)
    # ... and Demo's pages do not exist for them.
    for path in (
        demo.executions_url,
        f"{demo.executions_url}{executions[0]['id']}/",
        demo.browser_url,
        f"{demo.browser_url}items/",
        f"{demo.executions_url}download/?ids={executions[0]['id']}",
        demo.studio_url("label-02.jpg"),
        f"/projects/{demo.project_id}/tasks/",
        f"/projects/{demo.project_id}/",
    ):
        response = stranger.goto(path)
        assert response.status == 404, f"{path}: {response.status} for a user of another project"
