"""A labelling task done in the pages: an annotator's "My tasks", the studio in the task's
context, items marked done there, and the progress moving live on another page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def trio_task(api, demo, annotator) -> dict:
    """A task of three demo items, assigned to the annotator only."""
    ids = sorted(item["id"] for item in demo.items.values())[:3]
    return api.call(
        "POST",
        f"/projects/{demo.project_id}/tasks/",
        201,
        json={"datasetId": demo.dataset_id, "name": "Review trio", "itemIds": ids, "assignees": [annotator[0]]},
    ).json() | {"itemIds": ids}


def progress_text(page, task_id: int):
    return page.locator(f"#task-progress-{task_id} .progress__count")


def test_an_annotator_marks_task_items_done_in_the_studio_and_the_progress_moves_live(
    new_page, server, demo, api, annotator, trio_task
):
    task_id, (first, second, third) = trio_task["id"], trio_task["itemIds"]
    watcher = new_page("demo", "demo", label="watcher")
    watcher.goto(f"/projects/{demo.project_id}/tasks/{task_id}/")
    expect(progress_text(watcher, task_id)).to_have_text("0/3")

    anna = new_page(*annotator)
    anna.goto(f"/projects/{demo.project_id}/tasks/")
    expect(anna.locator("h1")).to_have_text("My tasks")
    expect(anna.locator(f'tr[data-task-id="{task_id}"]')).to_be_visible()
    expect(anna.locator(f'tr[data-task-id="{demo.task_id}"]')).to_have_count(0)  # the demo's task is not hers
    anna.click(f'tr[data-task-id="{task_id}"] a.task-name')
    anna.click(f'#task-items li[data-item-id="{first}"] a')

    expect(anna.locator("#task-name")).to_have_text("Review trio")
    expect(progress_text(anna, task_id)).to_have_text("0/3")
    expect(anna.locator("#previous-item")).to_have_attribute("aria-disabled", "true")
    expect(anna.locator("#next-item")).to_have_attribute(
        "href", f"/projects/{demo.project_id}/items/{second}/?task={task_id}"
    )

    # The keyboard, with the label field focused: Ctrl+Enter marks the item done. (Once the
    # page's deferred scripts have run: its HTML shows before they are fetched.)
    anna.wait_for_load_state()
    anna.focus("#annotation-label")
    anna.keyboard.press("Control+Enter")
    expect(anna.locator("#task-item-done")).to_have_attribute("aria-pressed", "true")
    expect(progress_text(anna, task_id)).to_have_text("1/3")
    expect(progress_text(watcher, task_id)).to_have_text("1/3")  # live, no reload
    expect(watcher.locator(f"#task-{task_id}-item-{first}-state")).to_have_text("Done")

    # Next unfinished skips nothing here (the second item); the button marks it done, then not done again.
    anna.click("#next-unfinished")
    expect(anna).to_have_url(f"{server.url}/projects/{demo.project_id}/items/{second}/?task={task_id}")
    expect(anna.locator("#task-item-done")).to_have_attribute("aria-pressed", "false")
    anna.wait_for_load_state()
    anna.click("#task-item-done")
    expect(progress_text(watcher, task_id)).to_have_text("2/3")
    # The live event may come before her answer: a click while the button waits is ignored.
    expect(anna.locator("#task-item-done")).to_have_attribute("aria-pressed", "true")
    expect(anna.locator("#task-item-done")).not_to_have_attribute("aria-busy", "true")
    anna.click("#task-item-done")
    expect(anna.locator("#task-item-done")).to_have_attribute("aria-pressed", "false")
    expect(progress_text(watcher, task_id)).to_have_text("1/3")
    expect(anna.locator("#next-unfinished")).to_have_attribute(
        "href", f"/projects/{demo.project_id}/items/{third}/?task={task_id}"
    )

    task = api.call("GET", f"/tasks/{task_id}/", 200).json()
    assert (task["itemsDone"], task["itemsTotal"]) == (1, 3)
