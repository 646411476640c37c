"""A layout that never hides the work, and the browser's table: notices and the executions
drawer never cover the canvas, the annotation list, a table or a button, at 1280x800 and
390x844 (checked with bounding boxes); no page scrolls sideways (what is wider than the
page, a table, scrolls inside its own box); the drawer remembers being closed; the table
sorts by name, size, created and annotations with its pages kept, shows a bad query
plainly, and fits at 1280 px.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.pages import DESKTOP, PHONE, item_named, results

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_page, demo_session):
    """The demo user's page (1280x800), logged in once for the whole run."""
    return new_page(None, storage_state=demo_session)


# What must stay uncovered, on each page (inside the main area).
WORK = {
    "studio": [".stage", "#annotation-list", "#main button:not([disabled])", ".toolbar"],
    "table": ["table.items-table", "#main button:not([disabled])", "#main form button"],
    "executions": ["#main table", "#main button:not([disabled])"],
    "tasks": ["#main table", "#main button:not([disabled])"],
    "service": ["#executions-chart", "#main table", "#main button:not([disabled])", "#main pre"],
    "execution": ["#main pre.code-block", "#main table", "#main button:not([disabled])", "#main a.button"],
}

# The parts of the visible work that the notices or the drawer overlap (by bounding boxes).
COVERED = """(selectors) => {
  const main = document.getElementById('main').getBoundingClientRect();
  const over = ['#notices', '#executions-drawer'].map(s => document.querySelector(s)).filter(Boolean)
    .filter(e => e.checkVisibility()).map(e => [e.id, e.getBoundingClientRect()]);
  const found = [], checked = [];
  for (const selector of selectors) for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility() || el.closest('#executions-drawer, #notices, [role=menu]')) continue;
    const r = el.getBoundingClientRect();
    // Only the part the main area shows: what is scrolled out of it is not covered.
    const v = {l: Math.max(r.left, main.left), t: Math.max(r.top, main.top),
               r: Math.min(r.right, main.right), b: Math.min(r.bottom, main.bottom)};
    if (v.r - v.l < 1 || v.b - v.t < 1) continue;
    checked.push(selector);
    for (const [id, f] of over) {
      const w = Math.min(v.r, f.right) - Math.max(v.l, f.left), h = Math.min(v.b, f.bottom) - Math.max(v.t, f.top);
      if (w > 0.5 && h > 0.5) found.push(`${id} covers ${selector} (${el.id || el.className || el.tagName})`);
    }
  }
  return {found, checked: [...new Set(checked)]};
}"""


def assert_nothing_covered(page, what: str, where: str) -> None:
    seen = set()
    for scroll in ("top", "bottom", "work"):
        if scroll == "work":
            # Wherever a long page (many labels, a long list) puts it: scrolled to, it shows.
            page.locator(WORK[what][0]).first.scroll_into_view_if_needed()
        else:
            page.evaluate(f"document.getElementById('main').scrollTo(0, {0 if scroll == 'top' else 10**6})")
        report = page.evaluate(COVERED, WORK[what])
        assert not report["found"], f"{where}, scrolled to the {scroll}: {report['found']}"
        seen.update(report["checked"])
    assert seen >= {WORK[what][0]}, f"{where}: {WORK[what][0]} was never on screen: {sorted(seen)}"


def crowd(page) -> None:
    """Open the drawer and raise notices: real ones (Ctrl+Z with nothing to undo, in the
    studio) and long ones, as a busy day would."""
    toggle = page.locator("#executions-drawer-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for n in range(4):
        page.evaluate(
            "n => Dataslot.toast('Notice ' + n + ': a long message about an execution that finished, "
            "with enough words to wrap on a phone and then some more words.', n % 2 ? 'error' : '')",
            n,
        )


@pytest.fixture(scope="module")
def paused_trigger(api, demo):
    """A trigger on the demo's service, so its page shows the triggers table; paused, it never fires."""
    trigger = api.call(
        "POST",
        f"/services/{demo.service_id}/triggers/",
        201,
        json={
            "name": "grayscale-every-new-gradient-image-in-samples",
            "active": False,
            "spec": {
                "resource": "Item",
                "actions": ["Created", "Updated"],
                "executionMode": "Always",
                "filter": {"metadata.user.scene": "gradient"},
                "operation": {"type": "function", "functionName": "rgb2gray"},
            },
        },
    ).json()
    yield trigger
    api.call("DELETE", f"/triggers/{trigger['id']}/", 204)


def service_url(demo) -> str:
    return f"/projects/{demo.project_id}/services/{demo.service_id}/"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_notices_and_the_open_drawer_cover_no_canvas_list_table_or_button(
    new_page, demo_session, demo, viewport, finished_execution, paused_trigger
):
    page = new_page(None, viewport=viewport, storage_state=demo_session)
    where = f"{viewport['width']}x{viewport['height']}"
    pages = {
        "studio": demo.studio_url(item_named(demo, "pattern-03.")[0]),
        "table": demo.browser_url + "?view=table",
        "executions": demo.executions_url,
        "tasks": f"/projects/{demo.project_id}/tasks/",
        "service": service_url(demo),
        "execution": f"{demo.executions_url}{finished_execution['id']}/",
    }
    for what, url in pages.items():
        page.goto(url)
        if what == "studio":
            expect(page.locator("html")).to_have_attribute("data-studio-ready", "true")
            page.locator(".stage").click(position={"x": 2, "y": 2})  # focus the page, not a field
            page.keyboard.press("Control+z")  # a real notice: "Nothing to undo."
            expect(page.locator("#notices [role=status]").filter(has_text="Nothing to undo")).not_to_have_count(0)
        crowd(page)
        assert_nothing_covered(page, what, f"{what} at {where}")


# What sticks out of the main area sideways, unless a box around it (a table's wrap, a code
# block) that fits scrolls or clips it; and the document's and main area's widths.
SIDEWAYS = """() => {
  const main = document.getElementById('main'), edge = main.getBoundingClientRect();
  const left = edge.left, right = edge.left + main.clientWidth;
  const fits = r => r.left >= left - 0.5 && r.right <= right + 0.5;
  const outside = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || fits(r) || !el.checkVisibility()) continue;
    let box = el.parentElement;
    while (box !== main && (getComputedStyle(box).overflowX === 'visible' || !fits(box.getBoundingClientRect())))
      box = box.parentElement;
    if (box !== main) continue;
    const name = el.id ? '#' + el.id : (el.getAttribute('class') || '').split(' ')[0];
    outside.push(`${el.tagName.toLowerCase()}${name ? ' ' + name : ''} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  return {document: document.documentElement.scrollWidth, window: window.innerWidth,
          main: main.scrollWidth, mainBox: main.clientWidth, outside: outside.slice(0, 8)};
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
def test_no_page_of_the_studio_scrolls_sideways_with_the_drawer_closed_or_open(
    new_page, demo_session, demo, viewport, finished_execution, paused_trigger
):
    page = new_page(None, viewport=viewport, storage_state=demo_session)
    where = f"{viewport['width']}x{viewport['height']}"
    service, execution = service_url(demo), f"{demo.executions_url}{finished_execution['id']}/"
    every_page = [
        "/",
        f"/projects/{demo.project_id}/",
        demo.browser_url,
        demo.browser_url + "?view=table",
        demo.studio_url(item_named(demo, "pattern-03.")[0]),
        f"/projects/{demo.project_id}/tasks/",
        f"/projects/{demo.project_id}/tasks/{demo.task_id}/",
        demo.executions_url,
        execution,
        f"/projects/{demo.project_id}/services/",
        service,
        service + "?window=day",
    ]
    # The pages a developer reads beside the drawer, again with it open.
    for drawer, urls in (("closed", every_page), ("open", [service, demo.executions_url, execution])):
        for url in urls:
            page.goto(url)
            expect(page.locator("#main")).to_be_visible()
            toggle = page.locator("#executions-drawer-toggle")
            if toggle.count() and toggle.get_attribute("aria-expanded") != ("true" if drawer == "open" else "false"):
                toggle.click()
                expect(toggle).to_have_attribute("aria-expanded", "true" if drawer == "open" else "false")
            if url == service:
                expect(page.locator(f'tr[data-trigger-id="{paused_trigger["id"]}"]')).to_be_visible()
            widths = page.evaluate(SIDEWAYS)
            said = f"{url} at {where}, drawer {drawer}: {widths}"
            assert widths["document"] <= widths["window"], said
            assert widths["main"] <= widths["mainBox"], said
            assert not widths["outside"], said


def test_the_drawer_remembers_being_closed_across_pages(page, demo):
    toggle = page.locator("#executions-drawer-toggle")
    page.goto(demo.browser_url)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.goto(demo.executions_url)
    expect(page.locator("#executions-drawer-toggle")).to_have_attribute("aria-expanded", "true")

    page.locator("#executions-drawer-toggle").click()
    expect(page.locator("#executions-drawer-body")).to_be_hidden()
    assert page.evaluate("localStorage.getItem('dataslot.drawer')") == "closed"
    for url in (demo.browser_url, f"/projects/{demo.project_id}/tasks/"):
        page.goto(url)
        expect(page.locator("#executions-drawer-toggle")).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#executions-drawer-body")).to_be_hidden()


def column(page, index: int) -> list[str]:
    return page.locator("table.items-table tbody tr[data-item-id]").evaluate_all(
        f"rows => rows.map(r => r.cells[{index}].innerText.trim())"
    )


def test_the_table_sorts_by_its_columns_keeps_its_pages_and_fits_at_1280(page, demo, api):
    base = demo.browser_url + "?view=table"
    page.goto(base)
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table is wider than its place at 1280 px"

    # Name: a click sorts ascending, a second click descending, and the header says which.
    page.locator('th[data-sort="name"] a').click()
    expect(page.locator('th[data-sort="name"]')).to_have_attribute("aria-sort", "ascending")
    names = column(page, 2)
    assert names == sorted(names) and len(names) == len(demo.items), names
    page.locator('th[data-sort="name"] a').click()
    expect(page.locator('th[data-sort="name"]')).to_have_attribute("aria-sort", "descending")
    assert column(page, 2) == sorted(names, reverse=True)

    # Annotations, most first, by what the API counts.
    page.locator('th[data-sort="annotations"] a').click()
    page.locator('th[data-sort="annotations"] a').click()
    expect(page.locator('th[data-sort="annotations"]')).to_have_attribute("aria-sort", "descending")
    counts = [int(n) for n in column(page, 8)]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0, counts

    # Keyset pages in a sorted order: each page follows the last, nothing twice, nothing missed.
    ids, cursor = [], None
    while True:
        url = f"/projects/{demo.project_id}/datasets/{demo.dataset_id}/items/?view=table&sort=-size"
        response = page.request.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status == 200, response.text()[:300]
        body = response.text()
        ids += [int(i) for i in re.findall(r'<tr class="item-row" data-item-id="(\d+)"', body)]
        found = re.search(r"cursor=(\d+)", body)
        if not found:
            break
        cursor = found.group(1)
    listed = api.call("GET", f"/datasets/{demo.dataset_id}/items/", 200, params={"page_size": 1000}).json()
    sizes = {i["id"]: i["size"] for i in results(listed)}
    assert sorted(ids) == sorted(sizes), "a sorted walk lost or repeated items"
    assert [sizes[i] for i in ids] == sorted(sizes.values(), reverse=True)

    # A sort that does not exist: a plain message, no server error.
    page.goto(base + "&sort=colour")
    expect(page.locator("#results-error")).to_contain_text("cannot be sorted")


def test_an_invalid_query_in_the_table_view_says_so_where_the_items_would_be(page, demo):
    response = page.goto(demo.browser_url + "?view=table&filter=" + quote('{"width": {"$gt": '))
    assert response.status == 400
    message = page.locator("#results-error")
    expect(message).to_be_visible()
    expect(message).to_contain_text("not valid")
    expect(page.locator("table.items-table tbody tr[data-item-id]")).to_have_count(0)


def test_the_dql_placeholders_example_matches_demo_items(page, demo):
    page.goto(demo.browser_url + "?view=table")
    example = page.locator("#dql-filter").get_attribute("placeholder")
    query = json.loads(example)
    page.fill("#dql-filter", example)
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.items-table tbody tr[data-item-id]")
    expect(rows.first).to_be_visible()
    assert rows.count() > 0, f"the placeholder {query} matches nothing in the demo"
