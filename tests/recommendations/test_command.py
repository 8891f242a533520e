"""`amparo recommendations …`: import with a progress bar, classify, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amparo.recommendations.models import Mechanism, Recommendation, ThemeLabel
from tests.recommendations.conftest import SAMPLE, SAMPLE_ROWS

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("recommendations", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_load_reference_reports_each_list_and_a_dry_run_writes_nothing() -> None:
    out, _err = run("load-reference", "--dry-run")
    assert "mechanisms.csv" in out and "Dry run" in out
    assert not Mechanism.objects.exists()
    run("load-reference")
    assert Mechanism.objects.filter(code="sr_defenders").exists()


def test_import_shows_a_progress_bar_and_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    out, _err = run("import", str(SAMPLE))
    assert f"{SAMPLE_ROWS} new" in out and "rows/s" in out
    assert "100%" in capsys.readouterr().err
    assert Recommendation.objects.count() == SAMPLE_ROWS


def test_a_dry_run_import_writes_nothing() -> None:
    out, _err = run("import", str(SAMPLE), "--dry-run")
    assert "Dry run" in out
    assert not Recommendation.objects.exists()


def test_a_bad_file_fails_with_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(SAMPLE.read_bytes().replace(b",Kenya,", b",Atlantis,"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("recommendations", "import", str(bad), stdout=io.StringIO(), stderr=err)
    assert "Atlantis" in err.getvalue()
    assert not Recommendation.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        run("import", str(tmp_path / "nowhere.csv"))


def test_classify_trains_and_suggests_then_export_writes_the_table(
    classifier: None, tmp_path: Path
) -> None:
    run("import", str(SAMPLE))
    unlabelled = Recommendation.objects.filter(
        state="KE", text__icontains="human rights defenders"
    ).first()
    assert unlabelled is not None
    unlabelled.theme_labels.all().delete()

    out, _err = run("classify")

    assert "trained on" in out and "for 1 recommendations" in out
    assert unlabelled.theme_labels.filter(status=ThemeLabel.Status.SUGGESTED).exists()
    target = tmp_path / "themes.csv"
    run("export", "--format", "csv", str(target), "--state", "KE")
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {row["state"] for row in rows} == {"KE"}
    row = next(r for r in rows if r["annotation_id"] == unlabelled.annotation_id)
    assert row["confirmed_themes"] == "" and ":" in row["suggested_themes"]


def test_ratifications_import_by_command(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("state,instrument,status\nKE,cat,ratified\n")
    out, _err = run("import-ratifications", str(path))
    assert "1 new" in out


def test_an_unknown_user_is_refused() -> None:
    with pytest.raises(CommandError, match="No active user"):
        run("import", str(SAMPLE), "--user", "nobody")
