"""What the test environment provides: PostgreSQL, Chromium and Playwright.

Tests marked ``postgres`` need the test database to be PostgreSQL (set AMPARO_TEST_DATABASE_URL to a
postgres:// URL); tests marked ``e2e`` need the ``playwright`` package and Chromium at
/usr/bin/chromium (Debian's ``chromium`` package; AMPARO_CHROMIUM names another binary). Missing
either, they are skipped with the reason — unless AMPARO_REQUIRE_POSTGRES=1 or
AMPARO_REQUIRE_BROWSER=1, which CI sets so that a missing server or browser fails the run instead of
quietly skipping the tests that needed it. Tests marked ``pdf`` need WeasyPrint, which needs the
Pango library (Debian's libpango-1.0-0 and libpangoft2-1.0-0); AMPARO_REQUIRE_PDF=1 likewise.

Playwright's sync API keeps an asyncio event loop running in the main thread for as long as the
session-wide browser is open, and Django refuses database work in a thread with a running loop.
So e2e tests run after every other test, and only they get DJANGO_ALLOW_ASYNC_UNSAFE.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

REQUIRE_POSTGRES = "AMPARO_REQUIRE_POSTGRES"
REQUIRE_BROWSER = "AMPARO_REQUIRE_BROWSER"
REQUIRE_PDF = "AMPARO_REQUIRE_PDF"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

# Without the networking flags Chromium keeps calling home, which a closed network refuses many
# times a second; --no-sandbox because CI runs as root, where Chromium's sandbox will not start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Fail fast: a page on the local live server answers in milliseconds, not Playwright's 30 s default.
E2E_TIMEOUT_MS = 10_000


def required(flag: str) -> bool:
    return os.environ.get(flag, "").strip().lower() in {"1", "true", "yes", "on"}


def chromium_path() -> Path:
    return Path(os.environ.get("AMPARO_CHROMIUM") or DEFAULT_CHROMIUM)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (make install)"
    path = chromium_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        return (
            f"Chromium is not available at {path} "
            "(apt-get install chromium, or set AMPARO_CHROMIUM to its path)"
        )
    return None


def pdf_missing() -> str | None:
    """Why PDF reports cannot be made here (WeasyPrint, or the Pango library it loads), or
    None if they can."""
    if importlib.util.find_spec("weasyprint") is None:
        return "the weasyprint package is not installed (make install)"
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        return (
            f"WeasyPrint cannot load Pango ({error}; "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        )
    return None


def postgres_missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None if they can."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return None
    return (
        f"PostgreSQL is not available: the test database is {connection.vendor} "
        "(set AMPARO_TEST_DATABASE_URL=postgres://user:password@host:port/name)"
    )


def skip_or_fail(reason: str, flag: str) -> None:
    if required(flag):
        pytest.fail(f"{reason}, and {flag}=1 requires it", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: the order among the other tests, and among the e2e tests, is kept.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") is not None:
        reason = postgres_missing()
        if reason:
            skip_or_fail(reason, REQUIRE_POSTGRES)
    if item.get_closest_marker("pdf") is not None:
        reason = pdf_missing()
        if reason:
            skip_or_fail(reason, REQUIRE_PDF)
    if item.get_closest_marker("e2e") is not None:
        reason = browser_missing()
        if reason:
            skip_or_fail(reason, REQUIRE_BROWSER)
    elif "browser" in getattr(item, "fixturenames", ()):
        # Unmarked, it would start the browser in the middle of the database tests.
        pytest.fail("a test that drives the browser must be marked e2e", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    # Around the whole protocol, so that it also covers the database flush that ends a
    # transactional test.
    if item.get_closest_marker("e2e") is None:
        return (yield)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        return (yield)


@pytest.fixture(scope="session")
def browser(django_db_setup: None, live_server: LiveServer) -> Iterator[Browser]:
    """One headless Chromium for the session; Playwright gives it a fresh, temporary profile.

    It depends on the test database and the live server so that they start before Playwright's
    event loop does and stop after it has."""
    reason = browser_missing()
    if reason:
        skip_or_fail(reason, REQUIRE_BROWSER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path()), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


NewPage = Callable[..., "Page"]


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[NewPage]:
    """Open a page in a new browser context (own cookies and storage), e.g.
    ``new_page(java_script_enabled=False)``; relative URLs resolve against the live server."""
    contexts = []

    def open_page(**context_options: Any) -> Page:
        context_options.setdefault("base_url", live_server.url)
        context = browser.new_context(**context_options)
        context.set_default_timeout(E2E_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page in a fresh browser context, with JavaScript, for one test."""
    return new_page()
