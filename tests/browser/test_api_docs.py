"""The API docs page works on an install that cannot reach the internet."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_page_renders_its_operations_without_any_outside_host(page, server):
    outside = []

    def only_this_server(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:  # a CDN an offline install cannot reach
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_this_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/api/docs/")

    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible(timeout=15_000)
    assert operations.count() > 20
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/api/projects/").first).to_be_attached()
    assert outside == [] and errors == []
