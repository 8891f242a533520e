"""Production settings fail at start-up with a message that names what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_django(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


PRODUCTION = {
    "AMPARO_SECRET_KEY": "k" * 50,
    "AMPARO_KEY_FILE": "/nonexistent/keyring.json",
    "AMPARO_ALLOWED_HOSTS": "amparo.example.org",
    "AMPARO_EMAIL_URL": "smtp://mail.example.org:587?tls=1",
}


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_a_missing_production_setting_is_named_at_start_up(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = start_django(env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_complete_production_settings_start() -> None:
    result = start_django(PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_an_unknown_email_scheme_is_explained() -> None:
    result = start_django({**PRODUCTION, "AMPARO_EMAIL_URL": "pigeon://loft"})
    assert "AMPARO_EMAIL_URL has an unknown scheme 'pigeon'" in result.stderr


@pytest.mark.django_db
def test_the_test_database_lives_outside_the_clone() -> None:
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and "mode=memory" not in name and name != ":memory:":
        assert Path(name).is_absolute()
        assert not Path(name).resolve().is_relative_to(ROOT)
