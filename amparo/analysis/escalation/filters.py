"""Which signals a rule, a risk factor or the backtest's outcomes are about: one small grammar.

A filter is a YAML mapping; all its keys must hold (and), `any_of` holds when one of its filters
does (or):

    acts: [threat, surveillance]       # a type of act, or a narrower one
    consequences: ["010100000000"]     # consequence codes (HURIDOCS list 25), exactly
    perpetrator_types: [organised_crime]
    defender_types: [environmental]    # the subject's types, or narrower ones
    sex: [woman]                       # the subject's sex/gender, or narrower ones
    subject_kind: organisation         # or individual
    origin: intake                     # or act
    unverified: false
    indigenous_land_environment: true  # and rural, protective_measures, network_support,
                                       # legal_support: true or false (rural: only when known)
    any_of: [{sex: [woman]}, {defender_types: [women_hrd]}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from amparo.analysis.escalation.documents import Document
from amparo.analysis.escalation.signals import FLAGS, ORIGINS, SUBJECT_KINDS, BoolArray, Facts
from amparo.analysis.escalation.vocabulary import Hierarchy, Vocabularies

CODE_LISTS = ("acts", "consequences", "perpetrator_types", "defender_types", "sex")
BOOLEANS = (*FLAGS, "rural", "unverified")
FILTER_KEYS = (*CODE_LISTS, *BOOLEANS, "subject_kind", "origin", "any_of")
# Which codebook of Facts each list of codes is looked up in.
CODEBOOKS = {
    "acts": "acts",
    "consequences": "consequences",
    "perpetrator_types": "perpetrator_types",
    "defender_types": "defender_types",
    "sex": "sexes",
}


@dataclass(frozen=True)
class Filter:
    """A compiled filter: code lists already widened to their narrower terms."""

    codes: tuple[tuple[str, frozenset[str]], ...] = ()
    booleans: tuple[tuple[str, bool], ...] = ()
    subject_kind: str | None = None
    origin: str | None = None
    any_of: tuple[Filter, ...] = ()

    def mask(self, facts: Facts) -> BoolArray:
        """The rows of `facts` this filter matches."""
        rows = len(facts)
        mask = np.ones(rows, dtype=bool)
        for name, codes in self.codes:
            wanted = facts.code_mask(CODEBOOKS[name], codes)
            if name == "acts":
                mask &= _single(facts.act, wanted)
            elif name == "sex":
                mask &= _single(facts.sex, wanted)
            else:
                mask &= getattr(facts, name).rows_with(wanted, rows)
        for name, value in self.booleans:
            if name == "rural":
                mask &= facts.rural == int(value)
            elif name == "unverified":
                mask &= facts.unverified == value
            else:
                mask &= facts.flags[name] == value
        if self.subject_kind is not None:
            mask &= facts.organisation == (self.subject_kind == "organisation")
        if self.origin is not None:
            mask &= facts.intake == (self.origin == "intake")
        if self.any_of:
            either = np.zeros(rows, dtype=bool)
            for option in self.any_of:
                either |= option.mask(facts)
            mask &= either
        return mask

    def acts(self) -> frozenset[str] | None:
        """The types of act this filter can match (None: any)."""
        found = dict(self.codes).get("acts")
        if self.any_of:
            options = [option.acts() for option in self.any_of]
            if all(option is not None for option in options):
                union = frozenset().union(*(o for o in options if o is not None))
                found = union if found is None else found & union
        return found


def _single(values: Any, wanted: BoolArray) -> BoolArray:
    """Rows whose single code (-1: none) is marked in `wanted`."""
    padded = np.append(wanted, False)  # index -1 reads the trailing False
    return np.asarray(padded[values], dtype=bool)


def parse_filter(
    document: Document, value: object, path: str, vocabularies: Vocabularies
) -> Filter | None:
    """A filter from YAML, or None after recording what is wrong with it."""
    fields = document.mapping(value, path, optional=FILTER_KEYS)
    if fields is None:
        return None
    if not fields:
        document.problem(path, "should name at least one condition")
        return None
    trees: dict[str, Hierarchy | None] = {
        "acts": vocabularies.acts,
        "defender_types": vocabularies.defender_types,
        "sex": vocabularies.sexes,
        "consequences": None,
        "perpetrator_types": None,
    }
    ok = True
    codes: list[tuple[str, frozenset[str]]] = []
    for name in CODE_LISTS:
        if name not in fields:
            continue
        here = f"{path}.{name}"
        listed = document.items(fields[name], here)
        if listed is None:
            ok = False
            continue
        tree = trees[name]
        chosen: list[str] = []
        for index, code in enumerate(listed):
            where = f"{here}[{index}]"
            if not isinstance(code, str) or not code:
                document.problem(where, "should be a code")
                ok = False
            elif tree is not None and code not in tree:
                document.problem(where, f"{code} is not a code of the {tree.name} list")
                ok = False
            else:
                chosen.append(code)
        codes.append((name, tree.narrower(chosen) if tree is not None else frozenset(chosen)))
    booleans: list[tuple[str, bool]] = []
    for name in BOOLEANS:
        if name in fields:
            flag = document.boolean(fields[name], f"{path}.{name}")
            ok &= flag is not None
            if flag is not None:
                booleans.append((name, flag))
    subject_kind = origin = None
    if "subject_kind" in fields:
        subject_kind = document.choice(
            fields["subject_kind"], f"{path}.subject_kind", SUBJECT_KINDS
        )
        ok &= subject_kind is not None
    if "origin" in fields:
        origin = document.choice(fields["origin"], f"{path}.origin", ORIGINS)
        ok &= origin is not None
    any_of: list[Filter] = []
    if "any_of" in fields:
        options = document.items(fields["any_of"], f"{path}.any_of")
        if options is None:
            ok = False
        else:
            for index, option in enumerate(options):
                parsed = parse_filter(document, option, f"{path}.any_of[{index}]", vocabularies)
                ok &= parsed is not None
                if parsed is not None:
                    any_of.append(parsed)
    if not ok:
        return None
    return Filter(tuple(codes), tuple(booleans), subject_kind, origin, tuple(any_of))
