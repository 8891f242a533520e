"""`amparo import-cases` and `amparo export-cases`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amparo.cases.models import Event
from tests.cases.exchange import csv_bytes, documentalist, organisation_of, record_event
from tests.cases.test_import import ROWS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("command_password")]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_dry_run_writes_nothing_and_an_import_writes(tmp_path: Path) -> None:
    user = documentalist()
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(ROWS))
    code = organisation_of(user).short_code

    out, _ = run(
        "import-cases", str(path), "--organisation", code, "--as", user.username, "--dry-run"
    )
    assert "would make 1 new" in out and not Event.objects.exists()

    out, _ = run("import-cases", str(path), "--organisation", code, "--as", user.username)
    assert "Imported 1 new" in out and Event.objects.count() == 1


def test_problems_are_listed_and_the_command_fails(tmp_path: Path) -> None:
    user = documentalist()
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes([{**ROWS[0], "act_date": "yesterday"}]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import-cases",
            str(path),
            "--organisation",
            organisation_of(user).short_code,
            "--as",
            user.username,
            stderr=err,
        )
    assert "row 2, act_date “yesterday”" in err.getvalue()


def test_unknown_organisation_user_or_file_are_clear_errors(tmp_path: Path) -> None:
    user = documentalist()
    code = organisation_of(user).short_code
    with pytest.raises(CommandError, match="short code"):
        run("import-cases", "x.csv", "--organisation", "NOPE", "--as", user.username)
    readable = tmp_path / "cases.csv"
    readable.write_bytes(csv_bytes(ROWS))
    with pytest.raises(CommandError, match="No active user"):
        run("import-cases", str(readable), "--organisation", code, "--as", "nobody")
    with pytest.raises(CommandError, match="Cannot read"):
        run(
            "import-cases",
            str(tmp_path / "missing.csv"),
            "--organisation",
            code,
            "--as",
            user.username,
        )


@pytest.mark.parametrize("fmt", ["csv", "json", "huridocs", "xlsx"])
def test_the_export_command_writes_each_format(tmp_path: Path, fmt: str) -> None:
    user = documentalist()
    record_event(user)
    path = tmp_path / f"out.{fmt}"
    _, err = run("export-cases", "--as", user.username, "--format", fmt, "--output", str(path))
    assert "Exported 1 event" in err and path.stat().st_size > 100
