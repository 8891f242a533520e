"""Small signals tables and rule files written inline, for the escalation engine's tests."""

from __future__ import annotations

import datetime
import itertools
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from amparo.analysis.escalation import Facts, RuleSet, Vocabularies, load_rules, to_day

VOCABULARIES = Vocabularies.shipped()
START = datetime.date(2024, 1, 1)
_ids = itertools.count(1)

LABEL = "{en: A rule, fr: Une règle, es: Una regla, ar: قاعدة}"


def on(days: int) -> datetime.date:
    """The day `days` after 1 January 2024."""
    return START + datetime.timedelta(days=days)


def day(days: int) -> int:
    """The same as a day number, as the engine counts days."""
    return int(to_day([on(days)])[0])


def signal(subject: int, days: int, act: str, **values: Any) -> dict[str, Any]:
    """One row: `act` against `subject` on day `days`; other columns as given."""
    return {
        "signal_id": next(_ids),
        "subject_id": subject,
        "subject_kind": "individual",
        "date": on(days),
        "act": act,
        **values,
    }


def facts(*rows: dict[str, Any]) -> Facts:
    return Facts.from_records(rows, VOCABULARIES)


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows)


def rules(tmp_path: Path, body: str, name: str = "rules.yaml") -> RuleSet:
    """A rule file with the given rules (YAML list items) and the usual outcomes."""
    path = tmp_path / name
    path.write_text(
        "version: 1\n"
        "outcomes:\n"
        f"  label: {LABEL}\n"
        "  when: {acts: [killing, physical_attack]}\n"
        "rules:\n" + textwrap.indent(textwrap.dedent(body), "  "),
        encoding="utf-8",
    )
    return load_rules(path, VOCABULARIES)
