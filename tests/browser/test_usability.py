"""Every page passes axe-core (no serious or critical violation) and fits a desktop and a phone."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import DESKTOP, PHONE, open_applications, select_item

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

# name: (path template, logged in, Applications expected)
PAGES = {
    "login": ("/login/", False, False),
    "project-list": ("/", True, False),
    "project": ("/projects/{project}/", True, False),
    "browser-grid": ("/projects/{project}/datasets/{dataset}/", True, True),
    "browser-table": ("/projects/{project}/datasets/{dataset}/?view=table", True, True),
    "studio": ("/projects/{project}/items/{item}/", True, True),
    "tasks": ("/projects/{project}/tasks/", True, True),
    "task": ("/projects/{project}/tasks/{task}/", True, False),
    "executions": ("/projects/{project}/executions/", True, False),
    "execution": ("/projects/{project}/executions/{execution}/", True, False),
}


def open_named_page(new_page, demo, finished_execution, name, **options):
    path, logged_in, _ = PAGES[name]
    page = new_page("demo" if logged_in else None, "demo", **options)
    url = path.format(
        project=demo.project_id,
        dataset=demo.dataset_id,
        item=demo.item("shapes-01.png")["id"],
        task=demo.task_id,
        execution=finished_execution["id"],
    )
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"
    page.wait_for_load_state("networkidle")
    return page


def readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:8]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            lines.append(f"       {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def serious_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_axe_is_injected_and_catches_a_known_violation(browser):
    """Guards the check below: a page with an unlabelled image and field must fail it."""
    page = browser.new_page()
    try:
        page.set_content('<!doctype html><html lang="en"><title>t</title><img src="x.png"><input type="text">')
        assert {"image-alt", "label"} <= {v["id"] for v in serious_violations(page)}
    finally:
        page.close()


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_or_critical_violation(new_page, demo, finished_execution, name):
    # bypass_csp: axe is injected by the test, never served by the platform.
    page = open_named_page(new_page, demo, finished_execution, name, bypass_csp=True)
    bad = serious_violations(page)
    assert not bad, f"axe on {name} ({page.url}):\n{readable(bad)}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=lambda v: f"{v['width']}x{v['height']}")
@pytest.mark.parametrize("name", PAGES)
def test_each_page_fits_the_window(new_page, demo, finished_execution, name, viewport):
    page = open_named_page(new_page, demo, finished_execution, name, viewport=viewport)
    assert_no_horizontal_overflow(page, f"{name} at {viewport}")
    if PAGES[name][2]:
        expect(page.locator("#applications-button")).to_be_visible()
        expect(page.locator("#applications-button")).to_contain_text("Applications")
        menu = open_applications(page)
        box = menu.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (
            f"the Applications menu of {name} leaves the window at {viewport}: {box}"
        )
        assert_no_horizontal_overflow(page, f"{name} at {viewport}, Applications open")


def assert_no_horizontal_overflow(page, where: str) -> None:
    # The main area scrolls by itself (the page shell): its width counts as the page's.
    widths = page.evaluate(
        """() => { const main = document.getElementById('main');
            return {scroll: Math.max(document.documentElement.scrollWidth,
                                     main ? main.scrollWidth + (window.innerWidth - main.clientWidth) : 0),
                    inner: window.innerWidth}; }"""
    )
    if widths["scroll"] > widths["inner"] + 1:
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
                    + ' right=' + Math.round(e.getBoundingClientRect().right))"""
        )
        raise AssertionError(f"{where} overflows: {widths}; widest: {culprits}")


@pytest.mark.parametrize("name", ["browser-grid", "studio", "tasks"])
def test_axe_with_the_applications_menu_open(
    new_page, demo, finished_execution, gradient_only_service, paused_service, name
):
    """The menu's enabled and disabled items (with their reasons) and the drawer pass too."""
    page = open_named_page(new_page, demo, finished_execution, name, bypass_csp=True)
    if name == "browser-grid":
        select_item(page, demo.item("shapes-02.jpg")["id"])  # disables "Gradients only", with its reason
    elif name == "tasks":
        page.locator(f'tr[data-task-id="{demo.task_id}"] input[type=checkbox].select-task').check()
    open_applications(page)
    expect(page.locator("#applications-menu [role=menuitem]").first).to_be_visible()
    bad = serious_violations(page)
    assert not bad, f"axe on {name} with Applications open ({page.url}):\n{readable(bad)}"
