"""What the server keeps: no report text in clear in the database, no address, user agent or
report text in any log line, including the web server's."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from amparo.core.models import Organisation, User
from amparo.intake.models import Submission
from amparo.intake.services import handling
from tests.factories import intake_answers
from tests.intake.test_follow_up import hidden
from tests.intake.test_report import form_token, receipt_in, upload

REPOSITORY = Path(__file__).resolve().parents[2]
USER_AGENT = "Mozilla/5.0 (DistinctiveReporterPhone; AmparoTestAgent/7.3)"
ADDRESS = "127.0.0.1"
REPORT_TEXT = "Colonel Ximenez threatened the river committee at dawn"
REPLY_TEXT = "The same colonel came back with a photographer"
FILE_TEXT = "Licence plate KQX 991 seen twice"
CLIENT: dict[str, Any] = {
    "REMOTE_ADDR": ADDRESS,
    "HTTP_USER_AGENT": USER_AGENT,
    "HTTP_REFERER": "https://ref.example/",
}


def _everything_a_reporter_does(client: Client, documentalist: User) -> None:
    """A submission, a bad submission, wrong and right receipts, a reply with a file."""
    token = form_token(client)
    response = client.post(
        reverse("intake:report"),
        {**intake_answers(what_happened=REPORT_TEXT), "token": token},
        **CLIENT,
    )
    receipt = receipt_in(response)
    client.post(
        reverse("intake:report"),
        {**intake_answers(what_happened=REPORT_TEXT, danger=""), "token": form_token(client)},
        **CLIENT,
    )
    page = client.get(reverse("intake:follow_up"), **CLIENT).content.decode()
    client.post(
        reverse("intake:follow_up"),
        {"receipt": "0000-0000-0000-0000-0000", "token": hidden(page, "token")},
        **CLIENT,
    )
    handling.staff_reply(documentalist, Submission.objects.get(), "Thank you, we are on it.")
    page = client.get(reverse("intake:follow_up"), **CLIENT).content.decode()
    status = client.post(
        reverse("intake:follow_up"), {"receipt": receipt, "token": hidden(page, "token")}, **CLIENT
    ).content.decode()
    client.post(
        reverse("intake:follow_up_reply"),
        {
            "access": hidden(status, "access"),
            "token": hidden(status, "token"),
            "body": REPLY_TEXT,
            "files": [upload("plate.txt", FILE_TEXT.encode())],
        },
        **CLIENT,
    )
    client.post(reverse("intake:follow_up_reply"), {"access": "forged"}, **CLIENT)
    client.get("/report/does-not-exist/", **CLIENT)


@pytest.mark.django_db
def test_no_log_line_holds_the_address_the_user_agent_or_the_report(
    client: Client,
    receiving: Organisation,
    documentalist: User,
    every_log_record: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    _everything_a_reporter_does(client, documentalist)
    records = every_log_record.records
    assert records, "the requests above log at least the 404 and the 400s"
    written = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in records
    ) + "".join(capfd.readouterr())
    for secret in (ADDRESS, USER_AGENT, "DistinctiveReporterPhone", "ref.example", REPORT_TEXT,
                   REPLY_TEXT, FILE_TEXT):  # fmt: skip
        assert secret not in written


@pytest.mark.django_db
def test_the_database_holds_no_report_text_address_or_user_agent_in_clear(
    client: Client, receiving: Organisation, documentalist: User
) -> None:
    _everything_a_reporter_does(client, documentalist)
    assert Submission.objects.get().messages.count() == 2
    dump = _raw_database()
    assert REPORT_TEXT.split()[1] not in dump  # "Ximenez"
    for secret in (REPORT_TEXT, REPLY_TEXT, FILE_TEXT, "KQX 991", ADDRESS, USER_AGENT,
                   "DistinctiveReporterPhone", "Nairobi", "They know where I live"):  # fmt: skip
        assert secret not in dump


@pytest.mark.django_db
def test_a_submission_keeps_only_the_date_not_the_time(
    client: Client, receiving: Organisation
) -> None:
    client.post(
        reverse("intake:report"), {**intake_answers(), "token": form_token(client)}, **CLIENT
    )
    submission = Submission.objects.values().get()
    times = [key for key, value in submission.items() if hasattr(value, "hour")]
    assert times == []
    # A reporter's action leaves no audit entry, whose time would be precise to the microsecond.
    from amparo.core.models import AuditEntry

    assert not AuditEntry.objects.filter(action__startswith="intake.").exists()


def _raw_database() -> str:
    """Every row of every table, read with SQL, as text (binary columns decoded leniently)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


# --- The production web server --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("gunicorn exited early")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def test_gunicorn_with_the_shipped_configuration_logs_no_address_or_user_agent(
    tmp_path: Path,
) -> None:
    port = _free_port()
    environment = {
        **os.environ,
        "AMPARO_TESTING": "1",
        "AMPARO_VAR_DIR": str(tmp_path),
        "AMPARO_BIND": f"127.0.0.1:{port}",
        "AMPARO_WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, server)
        base = f"http://127.0.0.1:{port}"
        for path in ("/static/amparo/amparo.css", "/report/?lang=fr", "/no-such-page/"):
            request = urllib.request.Request(base + path, headers={"User-Agent": USER_AGENT})
            # /report/ fails without a database here: its error is logged too.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=10).read()
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(b"NOT A REQUEST\r\n\r\n")
            raw.recv(1024)
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    log = (out + err).decode("utf-8", "replace")
    assert "Booting worker" in log, log
    assert "Invalid request" in log or "Error handling request" in log or "Internal" in log, log
    for secret in (ADDRESS, USER_AGENT, "DistinctiveReporterPhone", "AmparoTestAgent"):
        assert secret not in log, log
