"""What the browser tests do on a page, by the hooks of `docs/studio.md` only."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

MENU = "#applications-menu"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def marker_survives(page: Page) -> None:
    """Plant a marker on `window`; `assert_no_reload` checks it is still there."""
    page.evaluate("window.__dataslotTestMarker = 'still here'")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__dataslotTestMarker") == "still here", "the page was reloaded or navigated away"


def open_applications(page: Page) -> Locator:
    button = page.locator("#applications-button")
    expect(button).to_be_visible()
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    menu = page.locator(MENU)
    expect(menu).to_be_visible()
    return menu


def slot(page: Page, service_id: int, function_name: str) -> Locator:
    return page.locator(f'{MENU} [role=menuitem][data-slot="{service_id}:{function_name}"]')


def slot_names(page: Page) -> list[str]:
    """The display names of the menu's slots (each item's text without its reason)."""
    return page.locator(f"{MENU} [role=menuitem]").evaluate_all(
        """items => items.map(item => {
            const copy = item.cloneNode(true);
            copy.querySelectorAll('.slot-reason').forEach(r => r.remove());
            return copy.textContent.trim();
        })"""
    )


def select_item(page: Page, item_id: int) -> None:
    box = page.locator(
        f'.item-tile[data-item-id="{item_id}"] input[type=checkbox].select-item, '
        f'tr[data-item-id="{item_id}"] input[type=checkbox].select-item'
    )
    box.first.check()
    summary = page.locator("#selection-summary")  # the dataset browser's; the page took the click
    if summary.count():
        expect(summary).not_to_have_text("Nothing selected")


def run_slot(page: Page, service_id: int, function_name: str) -> list[dict]:
    """Click the slot under Applications; the executions its run created (from the server's answer)."""
    open_applications(page)
    item = slot(page, service_id, function_name)
    # The menu enables it once the server has answered about the selection: on a loaded
    # machine (the other test chain beside) that can take longer than expect's 5 s.
    expect(item).not_to_have_attribute("aria-disabled", "true", timeout=20_000)
    with page.expect_response(lambda r: r.url.endswith("/slots/run/") and r.request.method == "POST") as answer:
        item.click()
    response = answer.value
    assert response.status == 201, f"slots/run answered {response.status}: {response.text()[:300]}"
    return response.json()["executions"]


def execution_row(page: Page, execution_id: int, within: str = "") -> Locator:
    return page.locator(f'{within} [data-execution-id="{execution_id}"][data-status]'.strip()).first


def notices(page: Page, role: str | None = None) -> Locator:
    """The page's notices (`#notices`): `role="status"`, `role="alert"`, or both when None."""
    if role is None:
        return page.locator("#notices [role=status], #notices [role=alert]")
    return page.locator(f"#notices [role={role}]")


def image_size(page: Page) -> tuple[int, int]:
    """The studio image's size in pixels (the overlay's viewBox)."""
    overlay = page.locator("svg#annotation-overlay")
    return int(overlay.get_attribute("data-width")), int(overlay.get_attribute("data-height"))


def on_image(page: Page, fx: float, fy: float) -> tuple[float, float]:
    """The screen position of a point of the studio image, given as fractions of its width and height."""
    box = page.locator("svg#annotation-overlay").bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, f"the annotation overlay is not laid out: {box}"
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def screen_scale(page: Page) -> float:
    """Image pixels per screen pixel in the studio."""
    width, _ = image_size(page)
    return width / page.locator("svg#annotation-overlay").bounding_box()["width"]


def results(body) -> list:
    """The rows of a list answer, paginated (`{"results": [...]}`) or not."""
    return body["results"] if isinstance(body, dict) else body


def item_named(demo, prefix: str) -> tuple[str, dict]:
    """The demo item whose name starts with `prefix` (its extension follows the image's format)."""
    (name,) = [n for n in demo.items if n.startswith(prefix)]
    return name, demo.items[name]
