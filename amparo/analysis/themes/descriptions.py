"""Theme descriptions: what each theme is about, in words that a recommendation on it would use.

descriptions.csv holds one row per theme of the UHRI / UPR Info taxonomy (the `theme` column is
the name as it appears in a UHRI export) plus the themes this project adds (Reprisals), with a
label in English, French, Spanish and Arabic and an English description. A theme that has too few
confirmed labels to learn from is suggested by comparing a text with its description (zero-shot).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DESCRIPTIONS_FILE = Path(__file__).resolve().parent / "descriptions.csv"
LANGUAGES = ("en", "fr", "es", "ar")
COLUMNS = ("theme", *(f"label_{language}" for language in LANGUAGES), "description_en")
# A description shorter than this says too little for a text to be compared with it.
MIN_DESCRIPTION_WORDS = 5


@dataclass(frozen=True)
class ThemeDescription:
    theme: str
    labels: dict[str, str]  # language code -> label
    description: str


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}, line {self.line}: {self.reason}"
            if self.line
            else f"{self.file}: {self.reason}"
        )


class DescriptionsError(ValueError):
    """The descriptions file is not valid; each problem names its file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def load_descriptions(path: Path = DESCRIPTIONS_FILE) -> dict[str, ThemeDescription]:
    """Every theme's description, by theme name. Reads the whole file and reports every problem
    it finds (file, line, reason) before returning anything."""
    problems: list[Problem] = []
    descriptions: dict[str, ThemeDescription] = {}
    name = path.name
    try:
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            header = tuple(reader.fieldnames or ())
            missing = [column for column in COLUMNS if column not in header]
            if missing:
                raise DescriptionsError(
                    [Problem(name, 1, f"missing column(s) {', '.join(missing)}")]
                )
            for row in reader:
                line = reader.line_num
                if None in row:
                    problems.append(Problem(name, line, "more values than columns"))
                    continue
                values = {column: (row[column] or "").strip() for column in COLUMNS}
                empty = [column for column, value in values.items() if not value]
                if empty:
                    problems.append(Problem(name, line, f"empty {', '.join(empty)}"))
                    continue
                theme = values["theme"]
                if theme in descriptions:
                    problems.append(Problem(name, line, f"theme {theme!r} is described twice"))
                    continue
                if len(values["description_en"].split()) < MIN_DESCRIPTION_WORDS:
                    problems.append(
                        Problem(name, line, f"the description of {theme!r} is too short")
                    )
                    continue
                descriptions[theme] = ThemeDescription(
                    theme=theme,
                    labels={language: values[f"label_{language}"] for language in LANGUAGES},
                    description=values["description_en"],
                )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DescriptionsError([Problem(name, 0, str(error))]) from error
    if not descriptions and not problems:
        problems.append(Problem(name, 0, "no theme is described"))
    if problems:
        raise DescriptionsError(problems)
    return descriptions
