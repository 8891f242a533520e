"""No IP address, user agent or request object reaches a log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from amparo.core.logfilters import DropClientMetadata, redact


@pytest.mark.parametrize(
    "text",
    [
        "from 203.0.113.9 now",
        "peer 2001:db8::1 said",
        "full 2001:0db8:0000:0000:0000:ff00:0042:8329",
    ],
)
def test_addresses_are_redacted(text: str) -> None:
    assert "[address]" in redact(text)


def test_times_and_versions_are_left_alone() -> None:
    assert redact("at 14:35:59, Django 5.2.19") == "at 14:35:59, Django 5.2.19"


def test_the_filter_removes_the_request_from_a_record() -> None:
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Bad: %s", ("10.1.2.3",), None
    )
    record.request = object()
    assert DropClientMetadata().filter(record)
    assert not hasattr(record, "request")
    assert record.getMessage() == "Bad: [address]"


@pytest.fixture
def written_log() -> Iterator[io.StringIO]:
    """What the configured log handlers actually write, with their filters applied."""
    buffer = io.StringIO()
    handlers = [
        h for h in logging.getLogger("django").handlers if isinstance(h, logging.StreamHandler)
    ]
    assert handlers, "the django logger has no stream handler configured"
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


@pytest.mark.django_db
def test_requests_leave_no_address_or_user_agent_in_the_logs(written_log: io.StringIO) -> None:
    client = Client(REMOTE_ADDR="198.51.100.77", HTTP_USER_AGENT="DistinctiveAgent/9.9")
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"username": "x", "password": "y"})
    client.get("/no-such-page/")
    text = written_log.getvalue()
    assert "Not Found: /no-such-page/" in text  # the log still says what went wrong
    assert "198.51.100.77" not in text
    assert "DistinctiveAgent" not in text
