"""The statistics app's data files (data/*.yaml), read and checked once per process.

* violations.yaml: kinds of violation counted by name (estimates, SDG 16.10.1, the dashboard);
* sdg_16_10_1.yaml: the indicator's categories of violation and of victim;
* law_kinds.yaml: the kinds of legal measure that restrict civic space.

Every problem is reported as "file, line N: reason" before anything uses a file; codes of types
of act and of defender must be codes of the vocabularies Amparo ships (amparo/core/vocabularies).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import cast

import yaml
from django.utils.translation import get_language
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

DATA = Path(__file__).resolve().parent / "data"
VOCABULARIES = Path(__file__).resolve().parent.parent / "core" / "vocabularies"
LANGUAGES = ("en", "fr", "es", "ar")
KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")

Labels = Mapping[str, str]


def in_language(labels: Labels, language: str | None = None) -> str:
    code = (language or get_language() or "en")[:2]
    return labels.get(code) or labels["en"]


@dataclass(frozen=True)
class Violation:
    key: str
    type_of_act: tuple[str, ...]
    labels: Labels

    def label(self, language: str | None = None) -> str:
        return in_language(self.labels, language)


@dataclass(frozen=True)
class VictimGroup:
    key: str
    defender_types: tuple[str, ...]  # every code it covers (narrower terms included)
    labels: Labels

    def label(self, language: str | None = None) -> str:
        return in_language(self.labels, language)


@dataclass(frozen=True)
class Indicator:
    violations: tuple[Violation, ...]
    victims: tuple[VictimGroup, ...]


@dataclass(frozen=True)
class LawKind:
    key: str
    labels: Labels

    def label(self, language: str | None = None) -> str:
        return in_language(self.labels, language)


class CatalogueError(ValueError):
    pass


class _Reader:
    def __init__(self, path: Path) -> None:
        self.file = path.name
        self.problems: list[str] = []
        self.root = yaml.compose(path.read_text(encoding="utf-8"))

    def problem(self, node: Node | None, reason: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(f"{self.file}, line {line}: {reason}")

    def check(self) -> None:
        if self.problems:
            raise CatalogueError("\n".join(self.problems))

    def field(self, node: Node | None, name: str) -> Node | None:
        if not isinstance(node, MappingNode):
            self.problem(node, "expected a mapping")
            return None
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == name:
                return cast(Node, value)
        return None

    def items(self, node: Node | None, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what}: expected a list")
            return []
        return list(node.value)

    def key(self, node: Node, seen: set[str]) -> str | None:
        value = self.field(node, "key")
        if not isinstance(value, ScalarNode) or not KEY.fullmatch(value.value):
            self.problem(value or node, "key: lowercase letters, digits and _, at most 40")
            return None
        if value.value in seen:
            self.problem(value, f"key {value.value!r} is used twice")
            return None
        seen.add(value.value)
        return str(value.value)

    def labels(self, node: Node) -> dict[str, str]:
        value = self.field(node, "labels")
        labels: dict[str, str] = {}
        if isinstance(value, MappingNode):
            for key, text in value.value:
                if isinstance(text, ScalarNode) and text.value.strip():
                    labels[str(key.value)] = str(text.value).strip()
        missing = [language for language in LANGUAGES if language not in labels]
        if missing:
            self.problem(value or node, f"labels: missing in {', '.join(missing)}")
        return labels

    def codes(self, node: Node, name: str, known: set[str]) -> tuple[str, ...]:
        value = self.field(node, name)
        codes = []
        for item in self.items(value, name):
            code = str(item.value) if isinstance(item, ScalarNode) else ""
            if code not in known:
                self.problem(item, f"{name}: {code!r} is not a code of the vocabulary")
            else:
                codes.append(code)
        return tuple(codes)


def _csv_tree(path: Path, code: str, parent: str, **match: str) -> dict[str, str | None]:
    with path.open(encoding="utf-8", newline="") as file:
        return {
            row[code]: row[parent] or None
            for row in csv.DictReader(file)
            if all(row[k] == v for k, v in match.items())
        }


def _narrower(tree: Mapping[str, str | None], codes: Sequence[str]) -> tuple[str, ...]:
    """`codes` and every narrower code of them, in the tree's order."""
    wanted = set(codes)

    def under(code: str | None) -> bool:
        while code is not None:
            if code in wanted:
                return True
            code = tree.get(code)
        return False

    return tuple(code for code in tree if under(code))


@cache
def act_tree() -> dict[str, str | None]:
    """The types of act Amparo ships (its own list and HURIDOCS list 04): code → broader."""
    tree = _csv_tree(VOCABULARIES / "hrd_violations.csv", "code", "parent_code")
    tree.update(
        _csv_tree(
            VOCABULARIES / "huridocs" / "terms.csv", "term_code", "parent_code", list_code="04"
        )
    )
    return tree


@cache
def defender_tree() -> dict[str, str | None]:
    return _csv_tree(VOCABULARIES / "defender_types.csv", "code", "parent_code")


@cache
def violations() -> dict[str, Violation]:
    return load_violations(DATA / "violations.yaml")


def load_violations(path: Path) -> dict[str, Violation]:
    reader = _Reader(path)
    found: dict[str, Violation] = {}
    seen: set[str] = set()
    known = set(act_tree())
    for item in reader.items(reader.field(reader.root, "violations"), "violations"):
        key = reader.key(item, seen)
        codes = reader.codes(item, "type_of_act", known)
        labels = reader.labels(item)
        if key and codes:
            found[key] = Violation(key, codes, labels)
    reader.check()
    return found


@cache
def indicator() -> Indicator:
    return load_indicator(DATA / "sdg_16_10_1.yaml", violations())


def load_indicator(path: Path, known_violations: Mapping[str, Violation]) -> Indicator:
    reader = _Reader(path)
    chosen = []
    for item in reader.items(reader.field(reader.root, "violations"), "violations"):
        name = str(item.value) if isinstance(item, ScalarNode) else ""
        if name not in known_violations:
            reader.problem(item, f"violations: {name!r} is not a key of violations.yaml")
        else:
            chosen.append(known_violations[name])
    tree = defender_tree()
    seen: set[str] = set()
    groups: list[tuple[str | None, tuple[str, ...], bool, dict[str, str]]] = []
    for item in reader.items(reader.field(reader.root, "victims"), "victims"):
        key = reader.key(item, seen)
        others = reader.field(item, "others")
        takes_others = isinstance(others, ScalarNode) and others.value == "true"
        codes = () if takes_others else reader.codes(item, "defender_types", set(tree))
        if not takes_others and not codes:
            reader.problem(item, "give defender_types, or others: true")
        groups.append((key, _narrower(tree, codes), takes_others, reader.labels(item)))
    if sum(1 for group in groups if group[2]) > 1:
        reader.problem(reader.root, "only one group of victims may take the others")
    reader.check()
    named = {code for _key, codes, _others, _labels in groups for code in codes}
    rest = tuple(code for code in tree if code not in named)
    return Indicator(
        violations=tuple(chosen),
        victims=tuple(
            VictimGroup(key or "", rest if others else codes, labels)
            for key, codes, others, labels in groups
        ),
    )


@cache
def law_kinds() -> dict[str, LawKind]:
    return load_law_kinds(DATA / "law_kinds.yaml")


def load_law_kinds(path: Path) -> dict[str, LawKind]:
    reader = _Reader(path)
    found: dict[str, LawKind] = {}
    seen: set[str] = set()
    for item in reader.items(reader.field(reader.root, "law_kinds"), "law_kinds"):
        key = reader.key(item, seen)
        labels = reader.labels(item)
        if key:
            found[key] = LawKind(key, labels)
    reader.check()
    return found
