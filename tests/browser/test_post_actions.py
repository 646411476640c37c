"""Post-actions happen in the clicking user's browser: a download, an annotation drawn."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.pages import assert_no_reload, marker_survives, notices, run_slot, select_item
from tests.support.functions import slot

pytestmark = pytest.mark.browser

OVERLAY = "svg#annotation-overlay [data-annotation-id]"
# What a page would have to read again to draw a result; the success event carries it.
FOLLOW_UP = re.compile(r"/api/annotations/\d+/|/overlay/|/api/executions/\d+/$|/drawn/")

BOXER_CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def boxes(self, item: dl.Item):
        builder = item.annotations.builder()
        builder.add(annotation_definition=dl.Box(top=1, left=1, bottom=item.height - 1, right=item.width - 1, label="all"))
        return builder.upload()[0]
"""


@pytest.fixture(scope="module")
def boxer_service(api, demo) -> dict:
    """A drawAnnotation slot in the dataset browser: draws a box around a whole item."""
    box_slot = slot("boxes", "Box it", "drawAnnotation", panel="browser")
    package = api.push(
        demo.project_id,
        "boxer",
        BOXER_CODE,
        [{"name": "boxes", "inputs": [{"name": "item", "type": "Item"}]}],
        slots=[box_slot],
    )
    service = api.deploy(demo.project_id, package, "boxer")
    api.call(
        "POST", f"/services/{service['id']}/activate-slots/", 200, json={"projectId": demo.project_id, "slots": None}
    )
    return service


def follow_ups(page) -> list[str]:
    """The requests the page makes from now on that re-read what a result drew."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if FOLLOW_UP.search(request.url) else None)
    return seen


def test_clicking_rgb2gray_downloads_a_grayscale_image(page, demo, api, tmp_path):
    item = demo.item("shapes-02.jpg")  # an RGB JPEG
    original = Image.open(io.BytesIO(api.call("GET", f"/items/{item['id']}/download/", 200).content))
    assert original.mode == "RGB"

    page.goto(demo.browser_url)
    select_item(page, item["id"])
    with page.expect_download(timeout=60_000) as download:
        (execution,) = run_slot(page, demo.service_id, "rgb2gray")
    path = tmp_path / (download.value.suggested_filename or "download")
    download.value.save_as(path)

    image = Image.open(path)
    image.load()
    assert image.mode == "L"
    assert image.size == original.size
    done = api.execution(execution["id"])
    assert done["status"] == "success" and done["output"]["item_id"] != item["id"]


def test_a_zip_the_server_refuses_starts_no_download_and_the_page_says_why(page, demo):
    """The session's server holds one item per zip (conftest.py): two results are one too many."""
    page.goto(demo.browser_url)
    for name in ("shapes-02.jpg", "gradient-02.jpg"):
        select_item(page, demo.item(name)["id"])
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    executions = run_slot(page, demo.service_id, "rgb2gray")
    assert len(executions) == 2
    alert = notices(page, "alert").filter(has_text="one zip holds at most 1 items")
    expect(alert).to_have_count(1, timeout=60_000)
    expect(alert).to_contain_text(re.compile("rgb2gray: no download", re.I))  # which run, and what happened
    page.wait_for_timeout(500)  # a download would have started with the notice
    assert downloads == []


def test_detect_objects_draws_its_box_in_the_studio_without_a_reload(page, demo, api):
    item = demo.item("gradient-03.png")
    page.goto(demo.studio_url("gradient-03.png"))
    expect(page.locator("svg#annotation-overlay")).to_be_attached()
    before = set(page.locator(OVERLAY).evaluate_all("els => els.map(e => e.dataset.annotationId)"))
    marker_survives(page)
    requests = follow_ups(page)

    (execution,) = run_slot(page, demo.service_id, "detect")
    done = api.wait(execution["id"], timeout=60)
    assert done["status"] == "success", done
    annotation_id = done["output"]["annotation_id"]
    assert str(annotation_id) not in before

    drawn = page.locator(f'svg#annotation-overlay [data-annotation-id="{annotation_id}"]')
    expect(drawn).to_be_attached(timeout=10_000)
    # A box is drawn as an SVG rect (the annotation's element, or inside it).
    assert drawn.evaluate("e => e.localName === 'rect' || e.querySelector('rect') !== null"), drawn.evaluate(
        "e => e.outerHTML"
    )
    expect(page.locator(f'#annotation-list li[data-annotation-id="{annotation_id}"]')).to_be_attached()
    assert_no_reload(page)
    assert requests == []  # drawn from the success event alone

    annotation = api.call("GET", f"/annotations/{annotation_id}/", 200).json()
    assert (annotation["type"], annotation["itemId"]) == ("box", item["id"])


def test_a_drawannotation_slot_in_the_dataset_browser_redraws_the_thumbnail_from_the_event(
    page, demo, api, boxer_service
):
    item = demo.item("gradient-03.png")
    page.goto(demo.browser_url)
    overlay = page.locator(f'svg[data-overlay-for="{item["id"]}"]')
    before = overlay.locator("rect").count()
    marker_survives(page)
    requests = follow_ups(page)

    select_item(page, item["id"])
    (execution,) = run_slot(page, boxer_service["id"], "boxes")
    done = api.wait(execution["id"], timeout=60)
    assert done["status"] == "success", done

    expect(overlay.locator("rect")).to_have_count(before + 1, timeout=10_000)
    assert_no_reload(page)
    assert requests == []  # the overlay came with the success event: no read per item
