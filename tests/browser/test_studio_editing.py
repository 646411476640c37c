"""The annotation studio with the mouse and the keyboard: drawing, moving, deleting,
classifying, previous/next, and annotation-scope slots on the selected annotation.

Every change is checked on the page and, after a reload or through the REST API, where the
server keeps it.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.pages import (
    assert_no_reload,
    image_size,
    item_named,
    marker_survives,
    notices,
    on_image,
    open_applications,
    results,
    run_slot,
    screen_scale,
    slot,
)

pytestmark = pytest.mark.browser

OVERLAY = "svg#annotation-overlay"
LIST = "#annotation-list"


def open_studio(page, demo, name: str) -> None:
    response = page.goto(demo.studio_url(name))
    assert response.status == 200, f"{demo.studio_url(name)}: {response.status}"
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    expect(page.locator(OVERLAY)).to_be_visible()


def shape(page, annotation_id: int):
    return page.locator(f'{OVERLAY} [data-annotation-id="{annotation_id}"]')


def row(page, annotation_id: int):
    return page.locator(f'{LIST} li[data-annotation-id="{annotation_id}"]')


def saved(api, item_id: int) -> dict[int, dict]:
    body = api.call("GET", f"/items/{item_id}/annotations/", 200, params={"page_size": 1000}).json()
    return {a["id"]: a for a in results(body)}


def created_box(api, item: dict, fractions: tuple[float, float, float, float], label: str) -> dict:
    """A box made through the API, at fractions of the item's size (so it fits any image)."""
    stored = api.call("GET", f"/items/{item['id']}/", 200).json()
    width, height = stored["width"], stored["height"]
    x1, y1, x2, y2 = fractions
    coordinates = [[round(x1 * width), round(y1 * height)], [round(x2 * width), round(y2 * height)]]
    body = {"type": "box", "label": label, "coordinates": coordinates}
    return api.call("POST", f"/items/{item['id']}/annotations/", 201, json=body).json()


def new_row_id(page, type_: str, label: str) -> int:
    """The id of the list row of this type and label (there must be exactly one)."""
    found = page.locator(f'{LIST} li[data-annotation-id][data-type="{type_}"]').filter(has_text=label)
    expect(found).to_have_count(1)
    return int(found.get_attribute("data-annotation-id"))


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()


def test_drawing_a_box_a_point_and_polygons_with_the_mouse_saves_them(page, demo, api):
    name, item = item_named(demo, "pattern-04.")
    tag = uuid.uuid4().hex[:6]
    open_studio(page, demo, name)
    width, height = image_size(page)
    tolerance = 2 * screen_scale(page) + 0.5  # image pixels: a screen pixel or two of rounding

    # A box: drag with the box tool.
    page.fill("#annotation-label", f"box-{tag}")
    page.click("button[data-tool=box]")
    expect(page.locator("button[data-tool=box]")).to_have_attribute("aria-pressed", "true")
    drag(page, on_image(page, 0.10, 0.10), on_image(page, 0.30, 0.35))
    box_id = new_row_id(page, "box", f"box-{tag}")
    expect(shape(page, box_id)).to_be_attached()

    # A point: a click with the point tool.
    page.fill("#annotation-label", f"point-{tag}")
    page.click("button[data-tool=point]")
    page.mouse.click(*on_image(page, 0.80, 0.15))
    point_id = new_row_id(page, "point", f"point-{tag}")
    expect(shape(page, point_id)).to_be_attached()

    # A polygon closed with Enter ...
    page.fill("#annotation-label", f"poly-enter-{tag}")
    page.click("button[data-tool=polygon]")
    # (Notices stack over the image's lower left: the shapes stay clear of them.)
    for fx, fy in ((0.40, 0.40), (0.60, 0.40), (0.50, 0.60)):
        page.mouse.click(*on_image(page, fx, fy))
    page.keyboard.press("Enter")
    enter_id = new_row_id(page, "polygon", f"poly-enter-{tag}")
    expect(shape(page, enter_id)).to_be_attached()

    # ... and one closed with a double-click on its last point.
    page.fill("#annotation-label", f"poly-dbl-{tag}")
    page.click("button[data-tool=polygon]")
    page.mouse.click(*on_image(page, 0.70, 0.55))
    page.mouse.click(*on_image(page, 0.90, 0.55))
    page.mouse.dblclick(*on_image(page, 0.80, 0.75))
    dbl_id = new_row_id(page, "polygon", f"poly-dbl-{tag}")
    expect(shape(page, dbl_id)).to_be_attached()

    # Saved: a reload shows all four, and the API has them where they were drawn.
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    for annotation_id in (box_id, point_id, enter_id, dbl_id):
        expect(shape(page, annotation_id)).to_be_attached()
        expect(row(page, annotation_id)).to_be_attached()

    stored = saved(api, item["id"])
    assert {box_id, point_id, enter_id, dbl_id} <= set(stored), sorted(stored)
    box, point, by_enter, by_dbl = (stored[i] for i in (box_id, point_id, enter_id, dbl_id))
    assert (box["type"], box["label"], box["source"]) == ("box", f"box-{tag}", "user")
    (bx1, by1), (bx2, by2) = box["coordinates"]
    for got, want in ((bx1, 0.10 * width), (by1, 0.10 * height), (bx2, 0.30 * width), (by2, 0.35 * height)):
        assert abs(got - want) <= tolerance, (box["coordinates"], width, height)
    assert point["type"] == "point" and len(point["coordinates"]) == 1
    px, py = point["coordinates"][0]
    assert abs(px - 0.80 * width) <= tolerance and abs(py - 0.15 * height) <= tolerance, point["coordinates"]
    assert by_enter["type"] == "polygon" and len(by_enter["coordinates"]) == 3, by_enter
    assert by_dbl["type"] == "polygon" and len(by_dbl["coordinates"]) == 3, by_dbl


def test_moving_a_box_in_select_mode_saves_its_new_coordinates(page, demo, api):
    name, item = item_named(demo, "pattern-05.")
    box = created_box(api, item, (0.10, 0.10, 0.30, 0.30), f"move-{uuid.uuid4().hex[:6]}")
    (x1, y1), (x2, y2) = box["coordinates"]
    open_studio(page, demo, name)
    expect(page.locator("button[data-tool=select]")).to_have_attribute("aria-pressed", "true")
    scale = screen_scale(page)

    start = on_image(page, 0.20, 0.20)
    dx, dy = 60, 40  # screen pixels
    with page.expect_response(lambda r: r.url.endswith(f"/annotations/{box['id']}/") and r.request.method == "PATCH"):
        drag(page, start, (start[0] + dx, start[1] + dy))

    moved = api.call("GET", f"/annotations/{box['id']}/", 200).json()["coordinates"]
    (mx1, my1), (mx2, my2) = moved
    tolerance = 2 * scale + 0.5
    assert abs(mx1 - (x1 + dx * scale)) <= tolerance and abs(my1 - (y1 + dy * scale)) <= tolerance, (
        box["coordinates"],
        moved,
        scale,
    )
    assert abs((mx2 - mx1) - (x2 - x1)) <= 0.2 and abs((my2 - my1) - (y2 - y1)) <= 0.2, "the box changed size"

    page.reload()
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    drawn = shape(page, box["id"])
    assert abs(float(drawn.get_attribute("x")) - mx1) <= 0.2, drawn.evaluate("e => e.outerHTML")
    assert abs(float(drawn.get_attribute("y")) - my1) <= 0.2, drawn.evaluate("e => e.outerHTML")


def test_deleting_with_the_delete_key_and_with_the_lists_button(page, demo, api):
    name, item = item_named(demo, "pattern-06.")
    tag = uuid.uuid4().hex[:6]
    by_key = created_box(api, item, (0.05, 0.05, 0.25, 0.25), f"del-key-{tag}")
    by_button = created_box(api, item, (0.60, 0.60, 0.90, 0.90), f"del-button-{tag}")
    open_studio(page, demo, name)
    expect(shape(page, by_key["id"])).to_be_attached()
    expect(row(page, by_button["id"])).to_be_attached()

    # Select mode: click the box, then Delete.
    page.mouse.click(*on_image(page, 0.15, 0.15))
    expect(row(page, by_key["id"]).locator(".annotation-row__select")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Delete")
    expect(shape(page, by_key["id"])).to_have_count(0)
    expect(row(page, by_key["id"])).to_have_count(0)
    api.call("GET", f"/annotations/{by_key['id']}/", 404)

    # The list's delete button.
    row(page, by_button["id"]).locator("[data-action=delete]").click()
    expect(shape(page, by_button["id"])).to_have_count(0)
    expect(row(page, by_button["id"])).to_have_count(0)
    api.call("GET", f"/annotations/{by_button['id']}/", 404)

    page.reload()
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    for gone in (by_key, by_button):
        expect(shape(page, gone["id"])).to_have_count(0)
        expect(row(page, gone["id"])).to_have_count(0)
    assert not {by_key["id"], by_button["id"]} & set(saved(api, item["id"]))


def test_setting_a_classification_shows_it_in_the_list_and_saves_it(page, demo, api):
    name, item = item_named(demo, "pattern-07.")
    label = f"outdoor-{uuid.uuid4().hex[:6]}"
    open_studio(page, demo, name)

    page.fill("#classification-label", label)
    page.click("#classification-set")
    classification_id = new_row_id(page, "classification", label)
    expect(page.locator("#classification-label")).to_have_value(label)  # the field shows the current value

    stored = saved(api, item["id"])[classification_id]
    assert (stored["type"], stored["label"], stored["coordinates"]) == ("classification", label, [])
    page.reload()
    expect(row(page, classification_id)).to_contain_text(label)


def test_previous_and_next_item_by_keyboard_but_not_while_typing(page, demo):
    name, _ = item_named(demo, "pattern-08.")
    open_studio(page, demo, name)
    here = page.url
    previous_href = page.locator("a#previous-item").get_attribute("href")
    next_href = page.locator("a#next-item").get_attribute("href")
    assert previous_href and next_href, "pick an item in the middle of the dataset"

    # Typing in the label inputs moves nothing.
    marker_survives(page)
    page.locator("#annotation-label").fill("")
    page.locator("#annotation-label").press("ArrowRight")
    page.locator("#annotation-label").type("jk")
    page.locator("#classification-label").fill("")  # it shows the item's classification, if any
    page.locator("#classification-label").press("ArrowLeft")
    page.locator("#classification-label").type("kj")
    page.wait_for_timeout(400)
    assert page.url == here
    assert_no_reload(page)
    expect(page.locator("#annotation-label")).to_have_value("jk")
    expect(page.locator("#classification-label")).to_have_value("kj")

    # Outside them the keys walk the items.
    page.locator("#annotation-label").blur()
    page.locator("#classification-label").blur()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**{next_href}")
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    page.keyboard.press("k")
    page.wait_for_url(here)
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**{previous_href}")
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    page.keyboard.press("j")
    page.wait_for_url(here)


def test_selecting_an_annotation_enables_describe_annotation_and_running_it_succeeds(page, demo, api):
    name, item = item_named(demo, "pattern-09.")
    box = created_box(api, item, (0.10, 0.10, 0.35, 0.35), f"describe-{uuid.uuid4().hex[:6]}")
    open_studio(page, demo, name)
    describe = slot(page, demo.service_id, "describe_annotation")

    # Nothing selected: the annotation slot is not available (disabled with a reason, or absent).
    open_applications(page)
    if describe.count():
        expect(describe).to_have_attribute("aria-disabled", "true")
        expect(describe.locator(".slot-reason")).not_to_be_empty()
    page.keyboard.press("Escape")
    expect(page.locator("#applications-button")).to_have_attribute("aria-expanded", "false")

    page.mouse.click(*on_image(page, 0.22, 0.22))
    expect(row(page, box["id"]).locator(".annotation-row__select")).to_have_attribute("aria-pressed", "true")
    expect(shape(page, box["id"])).to_have_class("shape is-selected")

    open_applications(page)
    expect(describe).to_be_visible()
    expect(describe).not_to_have_attribute("aria-disabled", "true")
    (execution,) = run_slot(page, demo.service_id, "describe_annotation")
    expect(
        notices(page, "status").filter(has_text="Describe annotation").filter(has_text="finished")
    ).not_to_have_count(0, timeout=30_000)

    done = api.wait(execution["id"], timeout=30)
    assert done["status"] == "success", done
    assert done["input"]["annotation"]["annotation_id"] == box["id"], done["input"]
    assert done["output"] == {"label": box["label"], "type": "box"}, done["output"]
