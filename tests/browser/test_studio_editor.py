"""The annotation studio as an editor: resize handles and vertices, undo and redo, zoom and
pan, relabelling, label shortcuts and recent labels, polygon keys in any field, one
classification per item, delete with undo.

Every change is checked where the server keeps it (the REST API), not only on the page.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.pages import item_named, notices, on_image, screen_scale
from tests.browser.test_studio_editing import created_box, drag, new_row_id, open_studio, row, saved, shape

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_page, demo_session):
    """The demo user's page (1280x800), logged in once for the whole run."""
    return new_page(None, storage_state=demo_session)


GRIP = "#edit-grips .grip"


def stored(api, annotation_id: int) -> dict:
    return api.call("GET", f"/annotations/{annotation_id}/", 200).json()


def item_size(api, item: dict) -> tuple[int, int]:
    body = api.call("GET", f"/items/{item['id']}/", 200).json()
    return body["width"], body["height"]


def grip_center(page, name: str) -> tuple[float, float]:
    box = page.locator(f'{GRIP}[data-grip="{name}"]').bounding_box()
    assert box, f"no grip {name}"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def saving(page, method: str):
    """Wait for the studio's next annotation request of this method (and that it succeeded)."""
    return page.expect_response(lambda r: "/annotations/" in r.url and r.request.method == method and r.ok)


def test_a_boxs_corner_handle_resizes_it_and_a_polygons_vertex_reshapes_it(page, demo, api):
    name, item = item_named(demo, "pattern-10.")
    width, height = item_size(api, item)
    tag = uuid.uuid4().hex[:6]
    box = created_box(api, item, (0.10, 0.10, 0.30, 0.30), f"resize-{tag}")
    polygon = api.call(
        "POST",
        f"/items/{item['id']}/annotations/",
        201,
        json={
            "type": "polygon",
            "label": f"vertex-{tag}",
            "coordinates": [[0.6 * width, 0.6 * height], [0.8 * width, 0.6 * height], [0.7 * width, 0.8 * height]],
        },
    ).json()
    open_studio(page, demo, name)
    scale = screen_scale(page)
    tolerance = 2 * scale + 0.5

    # The selected box shows eight handles; dragging the bottom-right one resizes it.
    page.mouse.click(*on_image(page, 0.2, 0.2))
    expect(page.locator(GRIP)).to_have_count(8)
    with saving(page, "PATCH"):
        drag(page, grip_center(page, "se"), on_image(page, 0.45, 0.40))
    (x1, y1), (x2, y2) = stored(api, box["id"])["coordinates"]
    assert abs(x1 - 0.10 * width) <= tolerance and abs(y1 - 0.10 * height) <= tolerance, (x1, y1)
    assert abs(x2 - 0.45 * width) <= tolerance and abs(y2 - 0.40 * height) <= tolerance, (x2, y2)

    # The selected polygon shows a handle per vertex; dragging one moves that vertex only.
    page.mouse.click(*on_image(page, 0.7, 0.65))
    expect(page.locator(GRIP)).to_have_count(3)
    with saving(page, "PATCH"):
        drag(page, grip_center(page, "v2"), on_image(page, 0.70, 0.95))
    vertices = stored(api, polygon["id"])["coordinates"]
    assert vertices[:2] == polygon["coordinates"][:2], vertices
    assert abs(vertices[2][1] - 0.95 * height) <= tolerance, vertices

    page.reload()
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    assert abs(float(shape(page, box["id"]).get_attribute("width")) - (x2 - x1)) <= 0.2


def test_undo_and_redo_walk_through_draw_move_resize_relabel_and_delete(page, demo, api):
    name, item = item_named(demo, "pattern-11.")
    tag = uuid.uuid4().hex[:6]
    open_studio(page, demo, name)

    page.fill("#annotation-label", f"first-{tag}")
    page.click("button[data-tool=box]")
    with saving(page, "POST"):
        drag(page, on_image(page, 0.10, 0.10), on_image(page, 0.30, 0.30))
    first_id = new_row_id(page, "box", f"first-{tag}")
    drawn = stored(api, first_id)["coordinates"]
    page.click("button[data-tool=select]")

    with saving(page, "PATCH"):  # move
        drag(page, on_image(page, 0.20, 0.20), on_image(page, 0.30, 0.30))
    moved = stored(api, first_id)["coordinates"]
    with saving(page, "PATCH"):  # resize
        drag(page, grip_center(page, "se"), on_image(page, 0.55, 0.55))
    resized = stored(api, first_id)["coordinates"]
    page.fill("#annotation-label", f"second-{tag}")
    with saving(page, "PATCH"):  # relabel: Enter in the label field, the box being selected
        page.press("#annotation-label", "Enter")
    assert stored(api, first_id)["label"] == f"second-{tag}"
    page.locator("#annotation-label").blur()
    with saving(page, "DELETE"):
        page.keyboard.press("Delete")
    api.call("GET", f"/annotations/{first_id}/", 404)

    def boxes() -> list[dict]:
        return [a for a in saved(api, item["id"]).values() if a["label"].endswith(tag)]

    # Undo, one step at a time, back to nothing.
    with saving(page, "POST"):
        page.keyboard.press("Control+z")  # the delete
    (again,) = boxes()
    assert (again["label"], again["coordinates"]) == (f"second-{tag}", resized)
    with saving(page, "PATCH"):
        page.keyboard.press("Control+z")  # the relabel
    assert stored(api, again["id"])["label"] == f"first-{tag}"
    with saving(page, "PATCH"):
        page.keyboard.press("Control+z")  # the resize
    assert stored(api, again["id"])["coordinates"] == moved
    with saving(page, "PATCH"):
        page.keyboard.press("Control+z")  # the move
    assert stored(api, again["id"])["coordinates"] == drawn
    with saving(page, "DELETE"):
        page.keyboard.press("Control+z")  # the drawing
    assert boxes() == []
    expect(page.locator('#annotation-list li[data-type="box"]').filter(has_text=tag)).to_have_count(0)
    expect(page.locator("#undo")).to_be_disabled()

    # Redo, all the way back to deleted.
    with saving(page, "POST"):
        page.keyboard.press("Control+Shift+z")
    (redrawn,) = boxes()
    assert redrawn["coordinates"] == drawn
    for want in (moved, resized):
        with saving(page, "PATCH"):
            page.keyboard.press("Control+Shift+z")
        assert stored(api, redrawn["id"])["coordinates"] == want
    with saving(page, "PATCH"):
        page.click("#redo")
    assert stored(api, redrawn["id"])["label"] == f"second-{tag}"
    with saving(page, "DELETE"):
        page.click("#redo")
    assert boxes() == []
    expect(page.locator("#redo")).to_be_disabled()


def test_zooming_with_buttons_wheel_and_fit_and_panning_keep_drawing_in_image_pixels(page, demo, api):
    name, item = item_named(demo, "pattern-12.")
    width, height = item_size(api, item)
    tag = uuid.uuid4().hex[:6]
    open_studio(page, demo, name)
    stage = page.locator(".stage")
    fit_width = page.locator("svg#annotation-overlay").bounding_box()["width"]

    page.click("#zoom-in")
    expect(page.locator("#zoom-level")).to_have_text("125%")
    page.mouse.move(*on_image(page, 0.5, 0.5))
    page.mouse.wheel(0, -400)
    expect(stage).not_to_have_attribute("data-zoom", "1.250")
    zoom = float(stage.get_attribute("data-zoom"))
    assert zoom > 1.25, zoom
    assert page.locator("svg#annotation-overlay").bounding_box()["width"] == pytest.approx(fit_width * zoom, rel=0.02)

    # A drag with the middle button pans: the image moves with the pointer, inside the stage.
    before = page.locator("svg#annotation-overlay").bounding_box()
    frame = stage.bounding_box()
    start = (frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    page.mouse.move(*start)
    page.mouse.down(button="middle")
    page.mouse.move(start[0] + 60, start[1] + 40, steps=6)
    page.mouse.up(button="middle")
    page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )  # the transform's frame
    after = page.locator("svg#annotation-overlay").bounding_box()
    assert after["x"] != before["x"] or after["y"] != before["y"], (before, after)

    # Drawn while zoomed and panned: still saved in image pixels where the pointer was.
    page.fill("#annotation-label", f"zoomed-{tag}")
    page.click("button[data-tool=box]")
    with saving(page, "POST"):
        drag(page, on_image(page, 0.40, 0.40), on_image(page, 0.60, 0.55))
    box_id = new_row_id(page, "box", f"zoomed-{tag}")
    (x1, y1), (x2, y2) = stored(api, box_id)["coordinates"]
    tolerance = 2 * screen_scale(page) + 0.5
    for got, want in ((x1, 0.4 * width), (y1, 0.4 * height), (x2, 0.6 * width), (y2, 0.55 * height)):
        assert abs(got - want) <= tolerance, ((x1, y1, x2, y2), width, height)

    page.click("#zoom-fit")
    expect(page.locator("#zoom-level")).to_have_text("100%")
    assert page.locator("svg#annotation-overlay").bounding_box()["width"] == pytest.approx(fit_width, rel=0.01)


def test_label_keys_and_recent_labels_pick_the_label_and_relabel_the_selection(page, demo, api):
    name, item = item_named(demo, "label-06.")
    tag = uuid.uuid4().hex[:6]
    box = created_box(api, item, (0.10, 0.10, 0.40, 0.40), f"a-{tag}")
    open_studio(page, demo, name)

    chips = page.locator("#label-shortcuts .label-chip")
    expect(chips.first).to_be_visible()
    expect(chips.first).to_have_attribute("data-shortcut", "1")
    second = chips.nth(1).get_attribute("data-label")

    # Nothing selected: key 2 makes the second label the current one.
    page.keyboard.press("2")
    expect(page.locator("#annotation-label")).to_have_value(second)
    expect(chips.nth(1)).to_have_attribute("aria-pressed", "true")

    # The box selected: key 2 relabels it, and the label is recent.
    page.mouse.click(*on_image(page, 0.25, 0.25))
    with saving(page, "PATCH"):
        page.keyboard.press("2")
    assert stored(api, box["id"])["label"] == second
    expect(row(page, box["id"])).to_contain_text(second)
    recent = page.locator("#recent-labels .label-chip")
    expect(recent.first).to_have_attribute("data-label", second)

    # A recent label, clicked, relabels as well.
    page.fill("#annotation-label", f"b-{tag}")
    with saving(page, "PATCH"):
        page.press("#annotation-label", "Enter")
    expect(recent.first).to_have_attribute("data-label", f"b-{tag}")
    with saving(page, "PATCH"):
        page.locator(f'#recent-labels .label-chip[data-label="{second}"]').click()
    assert stored(api, box["id"])["label"] == second


def test_polygon_enter_and_escape_work_while_a_field_has_focus(page, demo, api):
    name, item = item_named(demo, "label-07.")
    tag = uuid.uuid4().hex[:6]
    open_studio(page, demo, name)
    page.fill("#annotation-label", f"poly-{tag}")
    page.click("button[data-tool=polygon]")

    for fx, fy in ((0.2, 0.2), (0.4, 0.2), (0.3, 0.4)):
        page.mouse.click(*on_image(page, fx, fy))
    page.focus("#annotation-label")
    page.keyboard.press("Escape")
    expect(page.locator("svg#annotation-overlay .preview-group")).to_have_count(0)

    for fx, fy in ((0.5, 0.5), (0.7, 0.5), (0.6, 0.7)):
        page.mouse.click(*on_image(page, fx, fy))
    page.focus("#classification-label")
    with saving(page, "POST"):
        page.keyboard.press("Enter")
    polygon_id = new_row_id(page, "polygon", f"poly-{tag}")
    assert len(stored(api, polygon_id)["coordinates"]) == 3
    assert not [a for a in saved(api, item["id"]).values() if a["type"] == "classification"], "Enter classified too"


def test_a_classification_is_one_value_that_is_shown_and_replaced(page, demo, api):
    name, item = item_named(demo, "label-08.")
    tag = uuid.uuid4().hex[:6]
    open_studio(page, demo, name)
    expect(page.locator("#classification-current")).to_have_text("none")

    page.fill("#classification-label", f"indoor-{tag}")
    with saving(page, "POST"):
        page.click("#classification-set")
    expect(page.locator("#classification-current")).to_have_text(f"indoor-{tag}")
    expect(page.locator("#classification-label")).to_have_value(f"indoor-{tag}")

    page.fill("#classification-label", f"outdoor-{tag}")
    with saving(page, "PATCH"):
        page.click("#classification-set")
    expect(page.locator("#classification-current")).to_have_text(f"outdoor-{tag}")
    classes = [a for a in saved(api, item["id"]).values() if a["type"] == "classification"]
    assert [a["label"] for a in classes] == [f"outdoor-{tag}"], classes
    expect(page.locator('#annotation-list li[data-type="classification"]')).to_have_count(1)

    # Undo brings the previous value back, redo the new one; the page shows what is stored.
    page.locator("#classification-label").blur()
    with saving(page, "PATCH"):
        page.keyboard.press("Control+z")
    expect(page.locator("#classification-current")).to_have_text(f"indoor-{tag}")
    with saving(page, "PATCH"):
        page.keyboard.press("Control+Shift+z")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
    expect(page.locator("#classification-current")).to_have_text(f"outdoor-{tag}")
    expect(page.locator("#classification-label")).to_have_value(f"outdoor-{tag}")


def test_a_deleted_annotation_comes_back_with_the_notices_undo(page, demo, api):
    name, item = item_named(demo, "label-09.")
    box = created_box(api, item, (0.20, 0.20, 0.50, 0.50), f"undo-{uuid.uuid4().hex[:6]}")
    open_studio(page, demo, name)

    with saving(page, "DELETE"):
        row(page, box["id"]).locator("[data-action=delete]").click()
    api.call("GET", f"/annotations/{box['id']}/", 404)
    note = notices(page, "status").filter(has_text="Deleted box")
    with saving(page, "POST"):
        note.locator("[data-action=undo]").click()
    (back,) = [a for a in saved(api, item["id"]).values() if a["label"] == box["label"]]
    assert (back["type"], back["coordinates"]) == ("box", box["coordinates"])
    expect(shape(page, back["id"])).to_be_attached()
    expect(row(page, back["id"])).to_be_attached()


def test_undo_after_the_annotation_was_deleted_elsewhere_says_so_and_keeps_the_rest(page, demo, api):
    name, item = item_named(demo, "label-10.")
    tag = uuid.uuid4().hex[:6]
    kept = created_box(api, item, (0.05, 0.05, 0.25, 0.25), f"kept-{tag}")
    gone = created_box(api, item, (0.60, 0.60, 0.90, 0.90), f"gone-{tag}")
    open_studio(page, demo, name)
    scale = screen_scale(page)

    with saving(page, "PATCH"):  # step 1: move the kept box
        drag(page, on_image(page, 0.15, 0.15), on_image(page, 0.20, 0.20))
    with saving(page, "PATCH"):  # step 2: move the other one
        drag(page, on_image(page, 0.75, 0.75), on_image(page, 0.70, 0.70))
    api.call("DELETE", f"/annotations/{gone['id']}/", 204)  # someone else deletes it

    page.keyboard.press("Control+z")
    expect(notices(page, "alert").filter(has_text="deleted elsewhere")).to_have_count(1)
    expect(shape(page, gone["id"])).to_have_count(0)
    api.call("GET", f"/annotations/{gone['id']}/", 404)

    # The earlier step is still there and still undoes.
    with saving(page, "PATCH"):
        page.keyboard.press("Control+z")
    assert stored(api, kept["id"])["coordinates"] == kept["coordinates"]
    # The page draws the undone step when its request is answered: the drawing may follow
    # the response the test saw by a moment.
    page.wait_for_function(
        """([id, x, tolerance]) => {
            const box = document.querySelector(`svg#annotation-overlay [data-annotation-id="${id}"]`);
            return box !== null && Math.abs(parseFloat(box.getAttribute("x")) - x) <= tolerance;
        }""",
        arg=[kept["id"], kept["coordinates"][0][0], 2 * scale + 0.5],
    )
