"""The reference lists load from their data files, checked first (file, line, reason)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amparo.core.vocabulary import VocabularyError
from amparo.recommendations import services
from amparo.recommendations.models import Instrument, Mechanism, SdgTarget, Theme
from amparo.recommendations.services.reference import DATA_DIR

pytestmark = pytest.mark.django_db


def test_the_shipped_lists_load_with_four_languages() -> None:
    report = services.load_reference(None)

    assert {item.name: item.added for item in report.lists}["themes.csv"] == 62
    assert Theme.objects.filter(origin="upr_info").count() == 54
    assert SdgTarget.objects.filter(code__regex=r"^\d+$").count() == 17
    assert Mechanism.objects.get(code="sr_defenders").kind == "special_procedure"
    assert Instrument.objects.get(code="maputo").parent == Instrument.objects.get(
        code="achpr_charter"
    )
    for model in (Mechanism, Theme, SdgTarget, Instrument):
        assert not model.objects.filter(label_fr="").exists()
        assert not model.objects.filter(label_es="").exists()
        assert not model.objects.filter(label_ar="").exists()


def test_loading_twice_changes_nothing() -> None:
    services.load_reference(None)
    again = services.load_reference(None)
    assert all(not (i.added or i.changed or i.deactivated) for i in again.lists)


def test_a_term_that_left_its_file_is_deactivated_not_deleted(tmp_path: Path) -> None:
    services.load_reference(None)
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    lines = (root / "themes.csv").read_text(encoding="utf-8").splitlines()
    (root / "themes.csv").write_text(
        "\n".join(line for line in lines if not line.startswith("reprisals,")) + "\n",
        encoding="utf-8",
    )
    services.load_reference(None, root)
    assert not Theme.objects.get(code="reprisals").active


def test_every_problem_of_the_files_is_named_and_nothing_is_loaded(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    with (root / "mechanisms.csv").open("a", encoding="utf-8") as out:
        out.write("ccpr,treaty_body,X,Again,,,,\n")
        out.write("Bad Code,court,X,Bad,,,,\n")
    with (root / "instruments.csv").open("a", encoding="utf-8") as out:
        out.write("orphan,optional_protocol,nothing,,O,Orphan,,,,\n")
    with (root / "sdgs.csv").open("a", encoding="utf-8") as out:
        out.write("18,Goal eighteen,,,\n")

    with pytest.raises(VocabularyError) as raised:
        services.load_reference(None, root)

    text = "\n".join(map(str, raised.value.problems))
    assert "mechanisms.csv, line 31: ccpr appears twice" in text
    assert "mechanisms.csv, line 32" in text and "court" in text
    assert "instruments.csv, line 32: parent_code nothing is not an instrument" in text
    assert "sdgs.csv" in text
    assert not Mechanism.objects.exists()
