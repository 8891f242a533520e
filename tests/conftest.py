"""Fixtures shared by the whole test suite.

The environment plumbing (PostgreSQL and browser markers, the Playwright ``browser``, ``page`` and
``new_page`` fixtures) lives in tests/plugins/environment.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.plugins.environment", "tests.plugins.audit_log"]

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
