"""Loading the reference lists shipped in amparo/recommendations/data/ (data/README.md).

`load_reference` reads and validates every file before it writes anything and reports every
problem as "file, line N: reason". It then writes in one transaction: new terms are created,
changed ones updated, and shipped terms that left a file are deactivated but never deleted,
because recommendations point at them. Imported themes and affected groups are left alone.
Loading the same files twice changes nothing.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pycountry
from django.db import models, transaction
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.core.services import DomainError
from amparo.core.vocabulary import Problem, VocabularyError
from amparo.recommendations.models import (
    AffectedGroup,
    Instrument,
    Mechanism,
    RegionalSystem,
    SdgTarget,
    Theme,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
LABELS = ("label_en", "label_fr", "label_es", "label_ar")
CODE = re.compile(r"[a-z0-9][a-z0-9_]*")
SDG_CODE = re.compile(r"(?P<goal>\d{1,2})(?:\.(?P<target>[0-9a-z]{1,2}))?")


Row = tuple[int, dict[str, str]]


def read_rows(path: Path, columns: Sequence[str], problems: list[Problem]) -> list[Row]:
    """The rows of a UTF-8 CSV file with at least `columns`, as (line, values)."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(name, 0, _("cannot be read: %(error)s") % {"error": error}))
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in columns if column not in (reader.fieldnames or [])]
    if missing:
        problems.append(
            Problem(name, 1, _("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        )
        return []
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {key: (value or "").strip() for key, value in row.items() if key}
        key = values.get(columns[0], "")
        if not key and columns[0] != "name":
            problems.append(Problem(name, line, _("%(column)s is empty") % {"column": columns[0]}))
            continue
        if key in seen:
            problems.append(
                Problem(
                    name,
                    line,
                    _("%(value)s appears twice (first on line %(first)d)")
                    % {"value": key, "first": seen[key]},
                )
            )
            continue
        seen[key] = line
        if not values.get("label_en", "x"):
            problems.append(Problem(name, line, _("label_en is empty")))
            continue
        rows.append((line, values))
    return rows


@dataclass
class ListReport:
    name: str
    added: int = 0
    changed: int = 0
    deactivated: int = 0
    unchanged: int = 0


@dataclass
class ReferenceReport:
    lists: list[ListReport] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            item.name: {
                "added": item.added,
                "changed": item.changed,
                "deactivated": item.deactivated,
            }
            for item in self.lists
        }


@dataclass
class Spec:
    """What one file says about the terms of one model: code → field values."""

    model: type[Any]
    file: str
    values: dict[str, dict[str, Any]]
    keep: Callable[[Any], bool] = lambda obj: False  # terms a load never deactivates


def _codes_ok(name: str, rows: list[Row], problems: list[Problem]) -> None:
    for line, values in rows:
        if not CODE.fullmatch(values["code"]):
            problems.append(
                Problem(
                    name,
                    line,
                    _("the code %(code)s is not lower-case letters, digits and _")
                    % {"code": values["code"]},
                )
            )


def _choice(
    name: str, line: int, column: str, value: str, choices: Sequence[str], problems: list[Problem]
) -> None:
    if value not in choices:
        problems.append(
            Problem(
                name,
                line,
                _("%(column)s must be one of %(choices)s, not %(value)s")
                % {"column": column, "choices": ", ".join(choices), "value": value or '""'},
            )
        )


def _labels(values: dict[str, str], position: int) -> dict[str, Any]:
    return {**{label: values[label] for label in LABELS}, "position": position, "active": True}


def read_reference(root: Path | None = None) -> list[Spec]:
    """Every reference file, validated; VocabularyError with every problem found."""
    root = root or DATA_DIR
    problems: list[Problem] = []
    specs: list[Spec] = []

    rows = read_rows(root / "mechanisms.csv", ("code", "kind", *LABELS), problems)
    _codes_ok("mechanisms.csv", rows, problems)
    mechanisms: dict[str, dict[str, Any]] = {}
    for position, (line, values) in enumerate(rows):
        _choice("mechanisms.csv", line, "kind", values["kind"], Mechanism.Kind.values, problems)
        mechanisms[values["code"]] = {
            **_labels(values, position),
            "kind": values["kind"],
            "abbreviation": values.get("abbreviation", ""),
            "aliases": values.get("aliases", ""),
        }
    specs.append(Spec(Mechanism, "mechanisms.csv", mechanisms))

    rows = read_rows(root / "themes.csv", ("code", "origin", *LABELS), problems)
    _codes_ok("themes.csv", rows, problems)
    themes: dict[str, dict[str, Any]] = {}
    shipped_origins = [Theme.Origin.UPR_INFO, Theme.Origin.AMPARO]
    for position, (line, values) in enumerate(rows):
        _choice("themes.csv", line, "origin", values["origin"], shipped_origins, problems)
        themes[values["code"]] = {
            **_labels(values, position),
            "origin": values["origin"],
            "description": values.get("description", ""),
        }
    specs.append(
        Spec(Theme, "themes.csv", themes, keep=lambda t: t.origin == Theme.Origin.IMPORTED)
    )

    rows = read_rows(root / "affected_groups.csv", ("code", *LABELS), problems)
    _codes_ok("affected_groups.csv", rows, problems)
    groups = {
        values["code"]: {**_labels(values, position), "origin": AffectedGroup.Origin.SHIPPED}
        for position, (_line, values) in enumerate(rows)
    }
    specs.append(
        Spec(
            AffectedGroup,
            "affected_groups.csv",
            groups,
            keep=lambda g: g.origin == AffectedGroup.Origin.IMPORTED,
        )
    )

    rows = read_rows(root / "sdgs.csv", ("code", *LABELS), problems)
    sdgs: dict[str, dict[str, Any]] = {}
    goals = {values["code"] for _line, values in rows}
    for position, (line, values) in enumerate(rows):
        match = SDG_CODE.fullmatch(values["code"])
        if match is None or not 1 <= int(match["goal"]) <= 17:
            problems.append(
                Problem(
                    "sdgs.csv",
                    line,
                    _("%(code)s is not an SDG goal (1 to 17) or target") % {"code": values["code"]},
                )
            )
            continue
        if match["goal"] not in goals:
            problems.append(
                Problem(
                    "sdgs.csv",
                    line,
                    _("target %(code)s has no goal %(goal)s")
                    % {"code": values["code"], "goal": match["goal"]},
                )
            )
        sdgs[values["code"]] = {**_labels(values, position), "goal": int(match["goal"])}
    specs.append(Spec(SdgTarget, "sdgs.csv", sdgs))

    rows = read_rows(root / "regional_systems.csv", ("code", *LABELS, "members"), problems)
    _codes_ok("regional_systems.csv", rows, problems)
    regions: dict[str, dict[str, Any]] = {}
    for position, (line, values) in enumerate(rows):
        members = values["members"].split()
        unknown = [c for c in members if pycountry.countries.get(alpha_2=c) is None]
        if unknown or not members:
            problems.append(
                Problem(
                    "regional_systems.csv",
                    line,
                    _("not ISO 3166 country codes: %(codes)s")
                    % {"codes": " ".join(unknown) or '""'},
                )
            )
        regions[values["code"]] = {**_labels(values, position), "members": " ".join(members)}
    specs.append(Spec(RegionalSystem, "regional_systems.csv", regions))

    columns = ("code", "kind", "parent_code", "region_code", *LABELS)
    rows = read_rows(root / "instruments.csv", columns, problems)
    _codes_ok("instruments.csv", rows, problems)
    instruments: dict[str, dict[str, Any]] = {}
    codes = {values["code"] for _line, values in rows}
    for position, (line, values) in enumerate(rows):
        _choice("instruments.csv", line, "kind", values["kind"], Instrument.Kind.values, problems)
        parent, region = values["parent_code"], values["region_code"]
        if parent and (parent not in codes or parent == values["code"]):
            problems.append(
                Problem(
                    "instruments.csv",
                    line,
                    _("parent_code %(code)s is not an instrument") % {"code": parent},
                )
            )
        if region and region not in regions:
            problems.append(
                Problem(
                    "instruments.csv",
                    line,
                    _("region_code %(code)s is not a regional system") % {"code": region},
                )
            )
        instruments[values["code"]] = {
            **_labels(values, position),
            "kind": values["kind"],
            "abbreviation": values.get("abbreviation", ""),
            "defenders_note": values.get("defenders_note", ""),
            "parent": parent,
            "region": region,
        }
    specs.append(Spec(Instrument, "instruments.csv", instruments))

    for line, values in read_rows(root / "country_names.csv", ("name", "code"), problems):
        if values["code"] and pycountry.countries.get(alpha_2=values["code"]) is None:
            problems.append(
                Problem(
                    "country_names.csv",
                    line,
                    _("%(code)s is not an ISO 3166 country code") % {"code": values["code"]},
                )
            )
    for line, values in read_rows(
        root / "upr_cycles.csv", ("cycle", "first_session", "last_session"), problems
    ):
        if not all(values[c].isdigit() for c in ("cycle", "first_session", "last_session")):
            problems.append(Problem("upr_cycles.csv", line, _("every value must be a number")))
    if problems:
        raise VocabularyError(problems)
    return specs


def _differs(obj: models.Model, wanted: dict[str, Any]) -> bool:
    return any(getattr(obj, name) != value for name, value in wanted.items())


def _reconcile(spec: Spec, report: ListReport, resolve: dict[str, Any]) -> None:
    existing = {obj.code: obj for obj in spec.model.objects.all()}
    for code, values in spec.values.items():
        wanted = {
            name: resolve[name](value) if name in resolve else value
            for name, value in values.items()
        }
        obj = existing.pop(code, None)
        if obj is None:
            spec.model.objects.create(code=code, **wanted)
            report.added += 1
        elif _differs(obj, wanted):
            for name, value in wanted.items():
                setattr(obj, name, value)
            obj.save()
            report.changed += 1
        else:
            report.unchanged += 1
    for obj in existing.values():
        if obj.active and not spec.keep(obj):
            obj.active = False
            obj.save(update_fields=["active"])
            report.deactivated += 1


class _DryRun(Exception):
    pass


def load_reference(
    actor: User | None, root: Path | None = None, *, dry_run: bool = False
) -> ReferenceReport:
    """Validate the reference files and bring the database in line with them (see module).
    `actor` None: the command line or the demo, which the deployment's operator runs."""
    if actor is not None and not actor.is_superuser:
        raise DomainError(_("Only a deployment administrator may load the reference lists."))
    specs = read_reference(root)
    report = ReferenceReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            for spec in specs:
                item = ListReport(spec.file)
                resolve: dict[str, Callable[[str], Any]] = {}
                if spec.model is Instrument:
                    # Parents first: the file lists them before their protocols.
                    resolve = {
                        "parent": lambda code: Instrument.objects.get(code=code) if code else None,
                        "region": lambda code: (
                            RegionalSystem.objects.get(code=code) if code else None
                        ),
                    }
                _reconcile(spec, item, resolve)
                report.lists.append(item)
            changed = any(i.added or i.changed or i.deactivated for i in report.lists)
            if changed:
                audit.record(
                    actor, AuditAction.RECOMMENDATIONS_REFERENCE_LOAD, changes=report.as_dict()
                )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    reference_cache_clear()
    return report


def ensure_reference() -> None:
    """Load the reference lists when none are loaded yet (imports, the demo)."""
    if not Mechanism.objects.exists():
        load_reference(None)


# --- Reading the small lookup files ---------------------------------------------------------


@cache
def country_aliases() -> dict[str, str]:
    """Country names import files use → ISO code ("" for "no State")."""
    problems: list[Problem] = []
    rows = read_rows(DATA_DIR / "country_names.csv", ("name", "code"), problems)
    return {_fold(values["name"]): values["code"] for _line, values in rows}


@cache
def upr_cycles() -> list[tuple[int, int, int]]:
    problems: list[Problem] = []
    rows = read_rows(
        DATA_DIR / "upr_cycles.csv", ("cycle", "first_session", "last_session"), problems
    )
    return [(int(v["cycle"]), int(v["first_session"]), int(v["last_session"])) for _line, v in rows]


def upr_cycle(session_number: int) -> int | None:
    for cycle, first, last in upr_cycles():
        if first <= session_number <= last:
            return cycle
    return None


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def reference_cache_clear() -> None:
    country_aliases.cache_clear()
    resolve_country.cache_clear()
    upr_cycles.cache_clear()


_NOT_FOUND = "?"


@cache
def _pycountry_code(folded: str) -> str:
    try:
        return str(pycountry.countries.lookup(folded).alpha_2)
    except LookupError:
        return _NOT_FOUND


@lru_cache(maxsize=4096)
def resolve_country(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country as import files name it ("Viet Nam", "VN",
    "Bosnia & Herzegovina", "St Lucia"); "" for a name known to be no State ("(Unknown)");
    None for a name nobody knows."""
    text = html.unescape(name).strip()
    if not text:
        return ""
    folded = _fold(text)
    aliases = country_aliases()
    if folded in aliases:
        return aliases[folded]
    for candidate in (
        folded,
        _fold(text.replace("&", "and")),
        _fold(re.sub(r"^St\.? ", "Saint ", text)),
    ):
        code = _pycountry_code(candidate)
        if code != _NOT_FOUND:
            return code
    return None
