"""What the libraries now do for Amparo: the Content-Security-Policy (django-csp), the e-mail
settings from a URL (dj-email-url) and the choice of task backend."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from config.settings import email_config
from tests.core.test_settings import PRODUCTION, ROOT

POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


@pytest.mark.django_db
def test_every_page_has_the_same_strict_policy_with_no_external_source(client: Client) -> None:
    response = client.get("/accounts/login/")
    header = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert directives == POLICY
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_an_smtp_url_gives_host_port_credentials_and_starttls() -> None:
    config = email_config("smtp://amparo%40nhri:s%3Acret@mail.example.org:587?tls=1")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example.org", 587)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("amparo@nhri", "s:cret")
    assert config["EMAIL_USE_TLS"] and not config["EMAIL_USE_SSL"]


@pytest.mark.parametrize(
    "url,backend",
    [
        ("console://", "console"),
        ("memory://", "locmem"),
        ("file:////var/mail", "filebased"),
        ("smtp://mail.example.org:465?ssl=1", "smtp"),
    ],
)
def test_each_kind_of_url_names_its_backend(url: str, backend: str) -> None:
    assert email_config(url)["EMAIL_BACKEND"] == f"django.core.mail.backends.{backend}.EmailBackend"


def test_an_unknown_scheme_is_refused_by_name() -> None:
    with pytest.raises(ImproperlyConfigured, match="unknown scheme 'pigeon'"):
        email_config("pigeon://loft")


def test_tests_run_tasks_in_the_process_that_queues_them() -> None:
    from django.conf import settings

    assert (
        settings.TASKS["default"]["BACKEND"] == "django_tasks.backends.immediate.ImmediateBackend"
    )


def _production_tasks(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    clean.update(PRODUCTION, **extra, DJANGO_SETTINGS_MODULE="config.settings")
    code = "import django; django.setup(); from django.conf import settings; print(settings.TASKS)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_production_queues_tasks_in_the_database_for_a_worker() -> None:
    result = _production_tasks({})
    assert "django_tasks_db.DatabaseBackend" in result.stdout, result.stderr


def test_an_unknown_task_backend_is_refused_by_name() -> None:
    result = _production_tasks({"AMPARO_TASKS": "carrier-pigeon"})
    assert result.returncode != 0
    assert "AMPARO_TASKS is 'carrier-pigeon'" in result.stderr
