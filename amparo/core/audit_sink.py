"""Where the audit chain's heads are sent besides the anchor file: syslog or an HTTP(S) endpoint.

Kept free of Django, so that config.settings can check AMPARO_AUDIT_ANCHOR_SINK at start-up.
amparo.core.audit_anchor sends from a background thread; see there why.
"""

from __future__ import annotations

import logging
import socket
import urllib.request
from base64 import b64encode
from logging.handlers import SysLogHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SINK_TIMEOUT_SECONDS = 10
SYSLOG_PORT = 514


def parse_sink(url: str) -> tuple[str, Any]:
    """("", None), ("syslog", address and socket type) or ("http", url); ImproperlyConfigured for
    anything else. Accepted: syslog (the local /dev/log), syslog://host[:port] (UDP),
    syslog+tcp://host[:port], http:// and https:// URLs (user:password@ sends Basic auth)."""
    if not url:
        return "", None
    if url == "syslog":
        return "syslog", ("/dev/log", socket.SOCK_DGRAM)
    parts = urlsplit(url)
    if parts.scheme in {"syslog", "syslog+tcp"} and parts.hostname:
        kind = socket.SOCK_STREAM if parts.scheme == "syslog+tcp" else socket.SOCK_DGRAM
        return "syslog", ((parts.hostname, parts.port or SYSLOG_PORT), kind)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return "http", url
    raise ImproperlyConfigured(
        "AMPARO_AUDIT_ANCHOR_SINK must be syslog, syslog://host[:port], "
        "syslog+tcp://host[:port], or an http:// or https:// URL."
    )


def deliver(url: str, head: str) -> None:
    """Send one head (its JSON text) to the sink `url`; raises on failure."""
    kind, target = parse_sink(url)
    if kind == "syslog":
        address, socktype = target
        handler = SysLogHandler(
            address=address, facility=SysLogHandler.LOG_AUTHPRIV, socktype=socktype
        )
        try:
            message = ("amparo audit head %s", (head.strip(),))
            handler.handle(logging.LogRecord("amparo.audit", logging.INFO, "", 0, *message, None))
        finally:
            handler.close()
    elif kind == "http":
        parts = urlsplit(target)
        headers = {"Content-Type": "application/json"}
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + b64encode(credentials.encode()).decode()
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        request = urllib.request.Request(  # noqa: S310 (http or https only: parse_sink)
            parts._replace(netloc=netloc).geturl(),
            data=head.encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=SINK_TIMEOUT_SECONDS):  # noqa: S310
            pass
