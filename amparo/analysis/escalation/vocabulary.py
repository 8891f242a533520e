"""The trees of codes that rules, risk factors and signals name: types of act, of defender, sexes.

A filter naming a broad term ("threat") matches its narrower terms too ("threat_death"), as the
case list's filters do. The trees come from the vocabulary files Amparo ships
(amparo/core/vocabularies/, the same files `amparo vocab load` reads) or, in the Django apps, from
the loaded Thesaurus terms, passed in as {code: parent code}.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED_VOCABULARIES = Path(__file__).resolve().parents[2] / "core" / "vocabularies"


@dataclass(frozen=True)
class Hierarchy:
    """One list of codes as a tree: {code: parent code, or None for a top-level term}."""

    name: str
    parents: Mapping[str, str | None]
    _children: dict[str, list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        children: dict[str, list[str]] = {code: [] for code in self.parents}
        for code, parent in self.parents.items():
            if parent is not None:
                if parent not in self.parents:
                    raise ValueError(f"{self.name}: {code}'s parent {parent} is not in the list.")
                children[parent].append(code)
        object.__setattr__(self, "_children", children)
        for code in self.parents:
            self.root(code)  # refuses a cycle

    def __contains__(self, code: object) -> bool:
        return code in self.parents

    def narrower(self, codes: Iterable[str]) -> frozenset[str]:
        """The codes and every term below them."""
        found: set[str] = set()
        stack = list(codes)
        while stack:
            code = stack.pop()
            if code not in found:
                found.add(code)
                stack.extend(self._children.get(code, ()))
        return frozenset(found)

    def root(self, code: str) -> str:
        """The top-level term above `code` (itself if it is one)."""
        seen = {code}
        while (parent := self.parents.get(code)) is not None:
            if parent in seen:
                raise ValueError(f"{self.name}: parent cycle through {parent}.")
            seen.add(parent)
            code = parent
        return code

    @classmethod
    def from_csv(cls, path: Path) -> Hierarchy:
        """A vocabulary file of amparo/core/vocabularies (code, parent_code, labels...)."""
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return cls(path.stem, {row["code"]: row["parent_code"] or None for row in rows})


@dataclass(frozen=True)
class Vocabularies:
    """The lists the escalation engine checks codes against."""

    acts: Hierarchy
    defender_types: Hierarchy
    sexes: Hierarchy

    @classmethod
    def shipped(cls, directory: Path = SHIPPED_VOCABULARIES) -> Vocabularies:
        """Amparo's own lists: hrd_violations, defender_types and gender."""
        return cls(
            acts=Hierarchy.from_csv(directory / "hrd_violations.csv"),
            defender_types=Hierarchy.from_csv(directory / "defender_types.csv"),
            sexes=Hierarchy.from_csv(directory / "gender.csv"),
        )
