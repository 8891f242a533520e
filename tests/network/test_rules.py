"""The network's rules are data: the shipped files load, and a broken file is refused with every
problem's file and line, before anything reads half a rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core import checks

from amparo.network import rules
from amparo.network.models import Capacity, Status

SHIPPED = rules.RULES_DIR
NEEDS_VOCABULARIES = False


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    for path in SHIPPED.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text()
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1))


def test_the_shipped_rules_load_without_a_problem() -> None:
    assert list(rules.every_problem()) == []
    assert set(rules.lifecycle()) == {
        "invite",
        "accept",
        "activate",
        "open_review",
        "conclude_review",
        "suspend",
        "reinstate",
        "end",
        "withdraw",
    }
    assert rules.settings().co_chair_seats >= 2
    assert {"killings", "attacks", "nhri_reprisals", "overdue_commitments"} <= set(rules.signals())


def test_every_status_but_proposed_is_reached_by_a_transition_and_every_one_is_left() -> None:
    targets = {rule.target for rule in rules.lifecycle().values()}
    sources = set().union(*(rule.sources for rule in rules.lifecycle().values()))
    assert targets == set(Status.values) - {Status.PROPOSED}
    assert sources == set(Status.values) - {Status.ENDED}


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar"])
def test_every_rule_is_labelled_in_each_language(language: str) -> None:
    labelled = [
        *(rule.labels for rule in rules.lifecycle().values()),
        *(rule.labels for rule in rules.signals().values()),
        *rules.publication_fields().values(),
        *rules.commitment_kinds().values(),
    ]
    assert all(labels.text(language) for labels in labelled)
    if language != "en":
        assert all(labels.text(language) != labels.en for labels in labelled)


@pytest.mark.parametrize(
    "name,old,new,problem",
    [
        (
            "lifecycle.csv",
            "invite,proposed,invited",
            "invite,proposd,invited",
            "line 2: unknown status proposd",
        ),
        (
            "lifecycle.csv",
            "secretariat co_chair,letter",
            "secretariat mayor,letter",
            "line 2: unknown capacity mayor",
        ),
        (
            "lifecycle.csv",
            "co_chair,letter,",
            "co_chair,a_signature,",
            "line 2: unknown requirement a_signature",
        ),
        (
            "lifecycle.csv",
            "Invite the State,Inviter",
            "Invite the State,,",
            "row does not have as many values",
        ),
        (
            "lifecycle.csv",
            "accept,invited,accepted",
            "invite,invited,accepted",
            "line 3: invite repeats line 2",
        ),
        ("scorecard.csv", "killings,rise,1.5", "killings,soar,1.5", "line 2: rule must be one of"),
        (
            "scorecard.csv",
            "killings,rise,1.5,2,12,killing",
            "killings,rise,1.5,2,12,murder",
            "line 2: murder is not a type of act",
        ),
        (
            "scorecard.csv",
            "rise,1.5,2,12,killing",
            "rise,-1,2,12,killing",
            "line 2: threshold must be a number",
        ),
        (
            "scorecard.csv",
            "rise,1.5,2,12,killing",
            "rise,1.5,2,,killing",
            "line 2: window_months must be a whole number",
        ),
        (
            "directory.csv",
            "staff,civil_society,no,no,no,no,no\n",
            "",
            "no row for staff/civil_society",
        ),
        (
            "directory.csv",
            "staff,state,no",
            "staff,state,maybe",
            "line 14: name must be yes or no",
        ),
        (
            "directory.csv",
            "staff,nhri,no,yes,yes,no,no",
            "staff,nhri,no,yes,yes,yes,no",
            "line 15: email is sealed with keys that staff outside the network's work do not "
            "hold: it must be no for staff",
        ),
        (
            "network.csv",
            "co_chair_seats,2,",
            "co_chair_seats,1,",
            "line 4: value must be a whole number of at least 2",
        ),
        (
            "network.csv",
            "co_chair_order,joined",
            "co_chair_order,alphabet",
            "co_chair_order must be joined or country",
        ),
        (
            "network.csv",
            "review_cycle_months,36,Months between two periodic reviews of a member\n",
            "",
            "the setting review_cycle_months is missing",
        ),
        (
            "publication.csv",
            "The NHRI's accreditation status,Le statut",
            "The NHRI's accreditation status,,",
            "row does not have",
        ),
        ("commitment_kinds.csv", "protection_law,Adopt", "protection_law,,", "row does not have"),
    ],
)
def test_a_broken_rules_file_is_refused_with_its_file_line_and_reason(
    rules_dir: Path, name: str, old: str, new: str, problem: str
) -> None:
    edit(rules_dir, name, old, new)
    problems = list(rules.every_problem(rules_dir))
    assert any(name in p and problem in p for p in problems), problems


def test_an_empty_label_column_is_refused(rules_dir: Path) -> None:
    edit(rules_dir, "commitment_kinds.csv", ",التزام آخر", ",")
    problems = list(rules.every_problem(rules_dir))
    assert any("commitment_kinds.csv, line 9: empty label(s): label_ar" in p for p in problems), (
        problems
    )


def test_a_missing_file_is_named(rules_dir: Path) -> None:
    (rules_dir / "scorecard.csv").unlink()
    assert any("scorecard.csv: cannot be read" in p for p in rules.every_problem(rules_dir))


def test_the_system_check_passes_on_the_shipped_rules() -> None:
    from amparo.network.checks import rules_files

    assert [m for m in rules_files(None) if m.level >= checks.ERROR] == []


def test_the_capacities_the_lifecycle_names_exist() -> None:
    for rule in rules.lifecycle().values():
        assert rule.by <= set(Capacity.values)
