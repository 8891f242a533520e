"""The API documentation the index links to works in a real browser, under the site's
Content-Security-Policy (its scripts and styles are served from here, not from a CDN)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.plugins.environment import NewPage

pytestmark = pytest.mark.e2e


def test_the_api_documentation_linked_from_the_index_renders(new_page: NewPage) -> None:
    page = new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/api/v1/")
    documentation = page.evaluate("JSON.parse(document.body.innerText).documentation")

    page.goto(documentation)

    expect(page.locator(".swagger-ui .title")).to_contain_text("Amparo API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert not refused
