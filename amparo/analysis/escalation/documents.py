"""Reading the YAML files that hold risk factors and escalation rules, and saying what is wrong.

Every problem names the file, the line and the path inside the document
(`rules[2].when.acts[0]`), and the loader reports all problems at once, as the vocabulary loader
does: whoever edits a rule file fixes it in one pass. Nothing half-valid is ever returned.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

LANGUAGES = ("en", "fr", "es", "ar")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}, {self.path or 'document'}: {self.reason}"


class DefinitionError(ValueError):
    """A rule or risk file that cannot be used; `problems` lists everything found wrong."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        listed = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{count} {noun}; nothing was loaded:\n{listed}")


@dataclass(frozen=True)
class Labels:
    """A name in the four languages of Amparo."""

    en: str
    fr: str
    es: str
    ar: str

    def get(self, language: str) -> str:
        """The label in `language` (a code such as "fr" or "fr-ca"); English otherwise."""
        return str(getattr(self, language.split("-")[0].lower(), self.en))


class Document:
    """A YAML document and the line of each of its values, for problems that point at them."""

    def __init__(self, path: Path) -> None:
        self.file = path.name
        self.problems: list[Problem] = []
        self._lines: dict[str, int] = {}
        self.data: Any = None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DefinitionError(
                [Problem(self.file, None, "", f"cannot be read: {error}")]
            ) from error
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            reason = f"is not valid YAML: {getattr(error, 'problem', None) or error}"
            raise DefinitionError([Problem(self.file, line, "", reason)]) from error
        if node is not None:
            self._index(node, "")

    def _index(self, node: yaml.Node, path: str) -> None:
        self._lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in seen:
                    self.problems.append(
                        Problem(self.file, key_node.start_mark.line + 1, child, "appears twice")
                    )
                seen.add(key)
                self._index(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._index(item, f"{path}[{index}]")

    def problem(self, path: str, reason: str) -> None:
        line = self._lines.get(path)
        parent = path
        while line is None and parent:
            parent = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", parent)
            line = self._lines.get(parent)
        self.problems.append(Problem(self.file, line, path, reason))

    def raise_problems(self) -> None:
        if self.problems:
            raise DefinitionError(self.problems)

    # Checks: each returns the value when it is right, else records a problem and returns None.

    def mapping(
        self,
        value: object,
        path: str,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, "should be a mapping of keys to values")
            return None
        required, optional = list(required), list(optional)
        for key in required:
            if key not in value:
                self.problem(path, f"lacks {key}")
        known = set(required) | set(optional)
        for key in value:
            if key not in known:
                self.problem(
                    _join(path, str(key)),
                    f"is not a known key here (known: {', '.join(sorted(known))})",
                )
        return value

    def items(self, value: object, path: str, *, allow_empty: bool = False) -> list[Any] | None:
        if not isinstance(value, list) or (not value and not allow_empty):
            self.problem(path, "should be a non-empty list")
            return None
        return value

    def code(self, value: object, path: str) -> str | None:
        if not isinstance(value, str) or not CODE.match(value):
            self.problem(path, "should be a code: lower-case letters, digits and _, 1-40 long")
            return None
        return value

    def integer(self, value: object, path: str, minimum: int, maximum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, "should be a whole number")
            return None
        if not minimum <= value <= maximum:
            self.problem(path, f"should be between {minimum} and {maximum}")
            return None
        return value

    def number(self, value: object, path: str, minimum: float, maximum: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.problem(path, "should be a number")
            return None
        if not minimum <= value <= maximum:
            self.problem(path, f"should be between {minimum:g} and {maximum:g}")
            return None
        return float(value)

    def boolean(self, value: object, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, "should be true or false")
            return None
        return value

    def choice(self, value: object, path: str, choices: Iterable[str]) -> str | None:
        options = list(choices)
        if value not in options:
            self.problem(path, f"should be one of {', '.join(options)}")
            return None
        return str(value)

    def labels(self, value: object, path: str) -> Labels | None:
        fields = self.mapping(value, path, required=LANGUAGES)
        if fields is None:
            return None
        for language in LANGUAGES:
            text = fields.get(language)
            if language in fields and (not isinstance(text, str) or not text.strip()):
                self.problem(_join(path, language), "should be a non-empty text")
        if any(
            not isinstance(fields.get(lang), str) or not fields[lang].strip() for lang in LANGUAGES
        ):
            return None
        return Labels(*(fields[lang].strip() for lang in LANGUAGES))

    def each(
        self, values: list[Any] | None, path: str, check: Callable[[object, str], T | None]
    ) -> list[T] | None:
        """Every item checked; None when any is wrong (each wrong one recorded)."""
        if values is None:
            return None
        checked = [check(item, f"{path}[{index}]") for index, item in enumerate(values)]
        if any(item is None for item in checked):
            return None
        return [item for item in checked if item is not None]

    def unique_ids(self, items: Mapping[str, str]) -> None:
        """{path: id}: the second use of an id is a problem."""
        seen: dict[str, str] = {}
        for path, code in items.items():
            if code in seen:
                self.problem(path, f"{code} is already the id of {seen[code]}")
            else:
                seen[code] = path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
