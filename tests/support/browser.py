"""Debian's Chromium as the page tests and benchmarks launch it.

Playwright's own browser download cannot be used here. The flags keep a headless
Chromium from reaching for the network (updates, sync) and run it as root in CI.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
