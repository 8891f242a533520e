"""Logging filters that keep client metadata out of every log line."""

from __future__ import annotations

import logging
import re

# IPv4 literals, and IPv6 literals in full (eight groups) or compressed ("::") form. Times such as
# 14:35:59 have neither shape.
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(
    r"(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
    r"|(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?"
)


def redact(text: str) -> str:
    return _IPV6.sub("[address]", _IPV4.sub("[address]", text))


class DropClientMetadata(logging.Filter):
    """Remove the request object and any IP address from a record before it is written.

    Django attaches the request (headers, REMOTE_ADDR, User-Agent) to records of
    `django.request` and `django.server`; handlers such as AdminEmailHandler would print it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for attribute in ("request", "server_time"):
            if hasattr(record, attribute):
                delattr(record, attribute)
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        return True
