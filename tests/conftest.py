"""Fixtures shared by the whole test suite.

The environment plumbing (PostgreSQL and browser markers, the Playwright ``browser``, ``page`` and
``new_page`` fixtures) lives in tests/plugins/environment.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.plugins.environment", "tests.plugins.audit_log", "tests.keys"]

# Loggers a test of what is logged listens to: Django's and Amparo's do not propagate.
LOGGERS = ("django", "django.request", "django.server", "django.security", "amparo", "")


@pytest.fixture
def every_log_record(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog, attached to Amparo's and Django's loggers too (they do not propagate)."""
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).addHandler(caplog.handler)
    yield caplog
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(caplog.handler)


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test ends in the default language. A request through the test client leaves the
    language its middleware chose active in the thread (Django deactivates nothing after a
    request), and the next test's messages came out in Arabic."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def anchor(tmp_path: Path, request: pytest.FixtureRequest) -> Path | None:
    """For a database test: an audit anchor file of the test's own, advanced as each append
    returns.

    The suite's database tests run in a transaction that is rolled back, never committed, so
    the anchor's after-commit step would never run: there an append counts as committed when it
    returns. Tests marked transaction=True commit for real and use the real after-commit path."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return None
    from amparo.core import audit_anchor

    settings = request.getfixturevalue("settings")
    monkeypatch = request.getfixturevalue("monkeypatch")
    settings.AMPARO_AUDIT_ANCHOR_FILE = tmp_path / "anchor" / "audit-anchor.json"
    if not (marker and marker.kwargs.get("transaction")):
        monkeypatch.setattr(audit_anchor, "anchor_on_commit", audit_anchor.publish)
    return settings.AMPARO_AUDIT_ANCHOR_FILE  # type: ignore[no-any-return]
