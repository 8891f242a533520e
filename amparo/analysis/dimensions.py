"""The catalogue of statistics: what can be counted (measures) and broken down by (dimensions).

The catalogue is data (dimensions.yaml beside this module); `load_catalogue` reads it, checks
every entry against the facts table's schema and reports every problem as "file, line N:
reason" before anything uses it. Labels come in the four languages of the interface.

The names of most values (terms, countries, organisations, laws) live in the database, not here:
the caller passes them as `ValueNames`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from amparo.analysis.facts import ANCESTORS_SUFFIX, CODES, ENUMERATIONS, FACTS_SCHEMA, ID_COLUMNS

CATALOGUE_FILE = Path(__file__).resolve().parent / "dimensions.yaml"
LANGUAGES = ("en", "fr", "es", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
TEXTS = ("total", "not_recorded", "multi_valued_note", "suppressed_note")
BOOL_TAG = "tag:yaml.org,2002:bool"
# The values of columns whose every value the catalogue must name.
FIXED_VALUES: Mapping[str, tuple[str, ...]] = {
    **ENUMERATIONS,
    "verified": ("true", "false"),
    "confidentiality": ("0", "1", "2", "3"),
}

Labels = Mapping[str, str]


@dataclass(frozen=True)
class Measure:
    key: str
    distinct: str  # the facts column whose distinct values are counted
    labels: Labels

    def label(self, language: str) -> str:
        return _in_language(self.labels, language)


@dataclass(frozen=True)
class Dimension:
    key: str
    column: str
    multi_valued: bool
    hierarchical: bool
    # "supplied" (ValueNames), "as_is" (the value is its name) or each value's labels.
    values: Literal["supplied", "as_is"] | Mapping[str, Labels]
    labels: Labels

    @property
    def ancestors_column(self) -> str:
        return f"{self.column}{ANCESTORS_SUFFIX}"

    def label(self, language: str) -> str:
        return _in_language(self.labels, language)


class ValueNames:
    """The names of values the catalogue does not hold, per dimension, in each language:
    {dimension key: {value: {language: name}}}. Values are listed in the order tables show
    them (the vocabulary's order, say); a value without a name shows its code."""

    def __init__(self, names: Mapping[str, Mapping[str, Labels]] | None = None) -> None:
        self._names = {key: dict(values) for key, values in (names or {}).items()}
        self._order = {
            key: {v: i for i, v in enumerate(values)} for key, values in self._names.items()
        }

    def name(self, dimension: str, value: str, language: str) -> str:
        labels = self._names.get(dimension, {}).get(value)
        return _in_language(labels, language) if labels else value

    def position(self, dimension: str, value: str) -> int | None:
        return self._order.get(dimension, {}).get(value)


@dataclass(frozen=True)
class Catalogue:
    measures: Mapping[str, Measure]
    dimensions: Mapping[str, Dimension]
    texts: Mapping[str, Labels]

    def text(self, key: str, language: str) -> str:
        return _in_language(self.texts[key], language)

    def value_label(
        self, dimension: Dimension, value: str | None, language: str, names: ValueNames
    ) -> str:
        """What a table shows for `value` of `dimension` (None: not recorded)."""
        if value is None:
            return self.text("not_recorded", language)
        if dimension.values == "as_is":
            return value
        if dimension.values == "supplied":
            return names.name(dimension.key, value, language)
        labels = dimension.values.get(value)
        return _in_language(labels, language) if labels else value


def _in_language(labels: Labels | None, language: str) -> str:
    labels = labels or {}
    return labels.get(language) or labels.get("en") or ""


@dataclass(frozen=True)
class CatalogueProblem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.reason}"


class CatalogueError(ValueError):
    def __init__(self, problems: Sequence[CatalogueProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@cache
def catalogue() -> Catalogue:
    """The shipped catalogue, read once per process."""
    return load_catalogue(CATALOGUE_FILE)


def load_catalogue(path: Path | str) -> Catalogue:
    """Read and check a catalogue file; CatalogueError lists every problem with its line."""
    reader = _Reader(str(path))
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise CatalogueError(
            [CatalogueProblem(str(path), line, f"not YAML: {error.problem}")]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError([CatalogueProblem(str(path), 0, f"cannot be read: {error}")]) from None
    result = reader.catalogue(root)
    if reader.problems or result is None:
        raise CatalogueError(sorted(reader.problems, key=lambda p: p.line))
    return result


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[CatalogueProblem] = []

    def problem(self, node: Node | None, reason: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(CatalogueProblem(self.file, line, reason))

    def mapping(
        self, node: Node | None, what: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} should be a mapping")
            return None
        entries: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None or key not in (*required, *optional):
                self.problem(key_node, f"{what}: unknown entry {key!s}")
            elif key in entries:
                self.problem(key_node, f"{what}: {key} is given twice")
            else:
                entries[key] = value_node
        for key in required:
            if key not in entries:
                self.problem(node, f"{what}: {key} is missing")
        return entries

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what} should be a list")
            return []
        return list(node.value)

    def text(self, node: Node | None, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            self.problem(node, f"{what} should be text")
            return None
        if not node.value.strip():
            self.problem(node, f"{what} is empty")
            return None
        return str(node.value)

    def flag(self, node: Node, what: str) -> bool | None:
        if not isinstance(node, ScalarNode) or node.tag != BOOL_TAG:
            self.problem(node, f"{what} should be true or false")
            return None
        return bool(node.value.lower() == "true")

    def key(self, node: Node, what: str, seen: set[str]) -> str | None:
        key = self.text(node, what)
        if key is None:
            return None
        if not KEY_PATTERN.fullmatch(key):
            self.problem(node, f"{what} {key!r} should be lower-case letters, digits and _")
            return None
        if key in seen:
            self.problem(node, f"{what} {key} is used twice")
            return None
        seen.add(key)
        return key

    def labels(self, node: Node | None, what: str) -> Labels | None:
        entries = self.mapping(node, f"{what} labels", LANGUAGES)
        if entries is None:
            return None
        labels = {lang: self.text(n, f"{what} label in {lang}") for lang, n in entries.items()}
        if any(label is None for label in labels.values()) or len(labels) < len(LANGUAGES):
            return None
        return {lang: label for lang, label in labels.items() if label is not None}

    def catalogue(self, root: Node | None) -> Catalogue | None:
        entries = self.mapping(root, "the catalogue", ("measures", "dimensions", "texts"))
        if entries is None:
            return None
        measures = self.measures(entries.get("measures"))
        dimensions = self.dimensions(entries.get("dimensions"))
        texts = self.texts(entries.get("texts"))
        if self.problems:
            return None
        return Catalogue(measures=measures, dimensions=dimensions, texts=texts)

    def measures(self, node: Node | None) -> dict[str, Measure]:
        measures: dict[str, Measure] = {}
        seen: set[str] = set()
        for item in self.sequence(node, "measures") if node is not None else []:
            entries = self.mapping(item, "a measure", ("key", "distinct", "labels"))
            if entries is None or len(entries) < 3:
                continue
            key = self.key(entries["key"], "the measure key", seen)
            what = f"measure {getattr(entries['key'], 'value', key)}"
            distinct = self.text(entries["distinct"], f"{what}: distinct")
            labels = self.labels(entries["labels"], what)
            if distinct is not None and distinct not in ID_COLUMNS:
                self.problem(
                    entries["distinct"],
                    f"{what}: {distinct} is not one of {', '.join(ID_COLUMNS)}",
                )
                continue
            if key and distinct and labels:
                measures[key] = Measure(key=key, distinct=distinct, labels=labels)
        return measures

    def dimensions(self, node: Node | None) -> dict[str, Dimension]:
        dimensions: dict[str, Dimension] = {}
        seen: set[str] = set()
        columns: set[str] = set()
        fields = ("key", "column", "multi_valued", "hierarchical", "values", "labels")
        for item in self.sequence(node, "dimensions") if node is not None else []:
            entries = self.mapping(item, "a dimension", fields)
            if entries is None or len(entries) < len(fields):
                continue
            key = self.key(entries["key"], "the dimension key", seen)
            what = f"dimension {getattr(entries['key'], 'value', key)}"
            column = self.text(entries["column"], f"{what}: column")
            multi_valued = self.flag(entries["multi_valued"], f"{what}: multi_valued")
            hierarchical = self.flag(entries["hierarchical"], f"{what}: hierarchical")
            values = self.values(entries["values"], what, column)
            labels = self.labels(entries["labels"], what)
            if column is not None and not self.column(entries["column"], what, column, columns):
                continue
            if column is None or multi_valued is None or hierarchical is None:
                continue
            if multi_valued != (FACTS_SCHEMA.field(column).type == CODES):
                self.problem(
                    entries["multi_valued"],
                    f"{what}: {column} {'does not hold' if multi_valued else 'holds'} a list",
                )
                continue
            if hierarchical and f"{column}{ANCESTORS_SUFFIX}" not in FACTS_SCHEMA.names:
                self.problem(
                    entries["hierarchical"],
                    f"{what}: the facts carry no broader terms for {column}",
                )
                continue
            if key and values is not None and labels:
                dimensions[key] = Dimension(
                    key=key,
                    column=column,
                    multi_valued=multi_valued,
                    hierarchical=hierarchical,
                    values=values,
                    labels=labels,
                )
        return dimensions

    def column(self, node: Node, what: str, column: str, used: set[str]) -> bool:
        if column not in FACTS_SCHEMA.names or column.endswith(ANCESTORS_SUFFIX):
            self.problem(node, f"{what}: {column} is not a column of the facts table")
            return False
        if column in ("act_id", "event_id", "victim_id", "act_date", "source_ids"):
            self.problem(node, f"{what}: {column} cannot be a dimension")
            return False
        if column in used:
            self.problem(node, f"{what}: another dimension uses {column}")
            return False
        used.add(column)
        return True

    def values(
        self, node: Node, what: str, column: str | None
    ) -> Literal["supplied", "as_is"] | Mapping[str, Labels] | None:
        fixed = FIXED_VALUES.get(column or "")
        if isinstance(node, ScalarNode):
            if node.value not in ("supplied", "as_is"):
                self.problem(node, f"{what}: values should be supplied, as_is or a mapping")
                return None
            if fixed:
                self.problem(node, f"{what}: name each of {', '.join(fixed)} here")
                return None
            return "supplied" if node.value == "supplied" else "as_is"
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what}: values should be supplied, as_is or a mapping")
            return None
        keys = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
        entries = self.mapping(node, f"{what} values", (), keys)
        if entries is None:
            return None
        named = {value: self.labels(n, f"{what} value {value}") for value, n in entries.items()}
        if fixed is not None:
            for value in named:
                if value not in fixed:
                    self.problem(node, f"{what}: {value} is not a value of {column}")
            for value in fixed:
                if value not in named:
                    self.problem(node, f"{what}: {value} has no labels")
        if any(labels is None for labels in named.values()):
            return None
        return {value: labels for value, labels in named.items() if labels is not None}

    def texts(self, node: Node | None) -> dict[str, Labels]:
        entries = self.mapping(node, "texts", TEXTS)
        if entries is None:
            return {}
        texts = {key: self.labels(n, f"text {key}") for key, n in entries.items()}
        return {key: labels for key, labels in texts.items() if labels is not None}
