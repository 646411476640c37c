"""Debian's Chromium as the page tests and benchmarks launch it.

Playwright's own browser download cannot be used here. The flags keep a headless
Chromium from reaching for the network (updates, sync) and run it as root in CI.
"""

from pathlib import Path

from playwright.sync_api import Error, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def navigate_again_on_network_change() -> None:
    """Chromium aborts a navigation in flight with ERR_NETWORK_CHANGED when the machine's
    interfaces change, and the scale-out tests, beside the page tests, make and remove their
    hosts' links (veth pairs): such a navigation is made again, up to twice."""
    if getattr(Page.goto, "navigates_again", False):
        return
    goto = Page.goto

    def goto_again(self, url, **kwargs):
        for attempt in range(3):
            try:
                return goto(self, url, **kwargs)
            except Error as error:
                if "net::ERR_NETWORK_CHANGED" not in str(error) or attempt == 2:
                    raise

    goto_again.navigates_again = True
    Page.goto = goto_again
