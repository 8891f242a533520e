"""The network's rules as data: the files under amparo/network/rules/, validated when loaded.

* `lifecycle.csv`: every membership transition: from which statuses, to which, who may take it
  (capacities, see `models.Capacity`), what it requires (checked by `access.requirement_refusal`)
  and its label in the four languages.
* `scorecard.csv`: the backsliding signals: the flag rule of each (`rise`: the count of the
  window is at least `threshold` times that of the window before and at least `minimum`;
  `at_least`: the value is at least `threshold`; `below`: the rate is below `threshold` once at
  least `minimum` items count), its window in months and, for signals read from case records,
  the types of act and of victim (codes of the shipped vocabularies, with what lies below them).
* `directory.csv`: which fields of a focal point each audience sees, for each part of a
  delegation.
* `publication.csv`: what a member may choose to publish on its public page.
* `commitment_kinds.csv`: the kinds of pledge a State makes.
* `network.csv`: the numbers: review cycle, co-chairs' term, seats and order, flag threshold.

A broken file stops the app with every problem as "file, line N: reason" (`RulesError`), at the
first use and in Django's system checks (`amparo check`), never with a half-read rule.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from amparo.core.vocabulary.schema import VOCABULARY_DIR
from amparo.network.models import Capacity, Part, Status

RULES_DIR = Path(__file__).resolve().with_name("rules")
LANGUAGES = ("en", "fr", "es", "ar")
LABEL_COLUMNS = tuple(f"label_{language}" for language in LANGUAGES)

# What a transition may require; `access.requirement_refusal` checks each.
LETTER = "letter"
COMPLETE_DELEGATION = "complete_delegation"
PUBLISHED_COMMITMENT = "published_commitment"
REVIEW_IN_STANDING = "review_in_standing"
REVIEW_RECOMMENDS_SUSPENSION = "review_recommends_suspension"
REQUIREMENTS = frozenset(
    {
        LETTER,
        COMPLETE_DELEGATION,
        PUBLISHED_COMMITMENT,
        REVIEW_IN_STANDING,
        REVIEW_RECOMMENDS_SUSPENSION,
    }
)

RISE = "rise"
AT_LEAST = "at_least"
BELOW = "below"
FLAG_RULES = frozenset({RISE, AT_LEAST, BELOW})

# Who reads the directory, from the closest to the farthest (see access.directory_audience).
AUDIENCES = ("secretariat", "own_delegation", "leadership", "network", "staff")
CONTACT_FIELDS = ("name", "function", "responsibilities", "email", "phone")
# Sealed with keys only their readers hold (issue 16; amparo/network/keys.py). Staff who take no
# part in the network's work (the "staff" audience: any role, any clearance) hold no network
# key, so the rules cannot give them these: the directory shows them the fields in the clear.
SEALED_CONTACT_FIELDS = ("name", "email", "phone")


class RulesError(Exception):
    """A rules file cannot be used; the message lists every problem with its file and line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Labels:
    en: str
    fr: str
    es: str
    ar: str

    def text(self, language: str | None = None) -> str:
        """The label in `language` (default: the active one), English for any other."""
        code = (language or get_language() or "en")[:2]
        return str(getattr(self, code, "") or self.en) if code in LANGUAGES else self.en

    def as_dict(self) -> dict[str, str]:
        return {language: getattr(self, language) for language in LANGUAGES}

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class TransitionRule:
    id: str
    sources: frozenset[str]
    target: str
    by: frozenset[str]
    requires: tuple[str, ...]
    labels: Labels


@dataclass(frozen=True)
class SignalRule:
    id: str
    rule: str
    threshold: Decimal
    minimum: int
    window_months: int | None
    act_types: tuple[str, ...]
    victim_types: tuple[str, ...]
    labels: Labels


@dataclass(frozen=True)
class NetworkSettings:
    review_cycle_months: int
    co_chair_term_months: int
    co_chair_seats: int
    co_chair_order: str
    schedule_terms_ahead: int
    scorecard_flag_min_signals: int
    alert_acknowledgement_days: int
    partial_implementation_weight: Decimal


CO_CHAIR_ORDERS = frozenset({"joined", "country"})


# --- reading -----------------------------------------------------------------------------------


class _Table:
    """The rows of one CSV file with the line each starts on; problems collected, not raised."""

    def __init__(self, name: str, columns: Sequence[str], root: Path | None = None) -> None:
        self.name = name
        self.problems: list[str] = []
        self.rows: list[tuple[int, dict[str, str]]] = []
        path = (root or RULES_DIR) / name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.fail(0, _("cannot be read (%(error)s)") % {"error": error.__class__.__name__})
            return
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        try:
            header = reader.fieldnames or []
            missing = [column for column in columns if column not in header]
            if missing:
                self.fail(1, _("missing column(s): %(columns)s") % {"columns": ", ".join(missing)})
                return
            line = 2
            for row in reader:
                if None in row or any(value is None for value in row.values()):
                    self.fail(line, _("the row does not have as many values as the header"))
                else:
                    self.rows.append((line, {k: (v or "").strip() for k, v in row.items()}))
                line = reader.line_num + 1
        except csv.Error as error:
            self.fail(reader.line_num, _("not valid CSV (%(error)s)") % {"error": error})

    def fail(self, line: int, reason: str) -> None:
        if line:
            self.problems.append(
                _("%(file)s, line %(line)d: %(reason)s")
                % {"file": self.name, "line": line, "reason": reason}
            )
        else:
            self.problems.append(_("%(file)s: %(reason)s") % {"file": self.name, "reason": reason})

    def labels(self, line: int, row: dict[str, str]) -> Labels:
        empty = [column for column in LABEL_COLUMNS if not row.get(column)]
        if empty:
            self.fail(line, _("empty label(s): %(columns)s") % {"columns": ", ".join(empty)})
        return Labels(*(row.get(column, "") for column in LABEL_COLUMNS))

    def unique(self, line: int, key: str, seen: dict[str, int]) -> bool:
        if not key:
            self.fail(line, _("the first column is empty"))
            return False
        if key in seen:
            self.fail(line, _("%(key)s repeats line %(first)d") % {"key": key, "first": seen[key]})
            return False
        seen[key] = line
        return True

    def done(self) -> None:
        if self.problems:
            raise RulesError(self.problems)


def _words(value: str) -> list[str]:
    return value.split()


def _whole(table: _Table, line: int, column: str, value: str, *, least: int = 0) -> int | None:
    if not value.isdigit() or int(value) < least:
        table.fail(
            line,
            _("%(column)s must be a whole number of at least %(least)d")
            % {"column": column, "least": least},
        )
        return None
    return int(value)


def _number(table: _Table, line: int, column: str, value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or number < 0:
        table.fail(line, _("%(column)s must be a number of zero or more") % {"column": column})
        return None
    return number


# --- the files ---------------------------------------------------------------------------------


@functools.cache
def lifecycle(root: Path | None = None) -> dict[str, TransitionRule]:
    table = _Table(
        "lifecycle.csv", ("transition", "from", "to", "by", "requires", *LABEL_COLUMNS), root
    )
    rules: dict[str, TransitionRule] = {}
    seen: dict[str, int] = {}
    for line, row in table.rows:
        key = row["transition"]
        labels = table.labels(line, row)
        if not table.unique(line, key, seen):
            continue
        sources = frozenset(_words(row["from"]))
        for status in sorted(sources | {row["to"]}):
            if status not in Status.values:
                table.fail(line, _("unknown status %(status)s") % {"status": status or '""'})
        if not sources:
            table.fail(line, _("name the status(es) the transition starts from"))
        by = frozenset(_words(row["by"]))
        for capacity in sorted(by - set(Capacity.values)):
            table.fail(line, _("unknown capacity %(capacity)s") % {"capacity": capacity})
        if not by:
            table.fail(line, _("name who may take the transition"))
        requires = tuple(_words(row["requires"]))
        for requirement in requires:
            if requirement not in REQUIREMENTS:
                table.fail(
                    line, _("unknown requirement %(requirement)s") % {"requirement": requirement}
                )
        if row["to"] in sources:
            table.fail(line, _("a transition must change the status"))
        rules[key] = TransitionRule(key, sources, row["to"], by, requires, labels)
    table.done()
    return rules


def _vocabulary_codes(name: str) -> frozenset[str]:
    with (VOCABULARY_DIR / name).open(encoding="utf-8", newline="") as handle:
        return frozenset(row["code"] for row in csv.DictReader(handle))


@functools.cache
def signals(root: Path | None = None) -> dict[str, SignalRule]:
    columns = (
        "signal",
        "rule",
        "threshold",
        "minimum",
        "window_months",
        "act_types",
        "victim_types",
        *LABEL_COLUMNS,
    )
    table = _Table("scorecard.csv", columns, root)
    act_codes = _vocabulary_codes("hrd_violations.csv")
    victim_codes = _vocabulary_codes("defender_types.csv")
    rules: dict[str, SignalRule] = {}
    seen: dict[str, int] = {}
    for line, row in table.rows:
        key = row["signal"]
        labels = table.labels(line, row)
        if not table.unique(line, key, seen):
            continue
        if row["rule"] not in FLAG_RULES:
            table.fail(
                line,
                _("rule must be one of %(rules)s") % {"rules": ", ".join(sorted(FLAG_RULES))},
            )
        threshold = _number(table, line, "threshold", row["threshold"])
        minimum = _whole(table, line, "minimum", row["minimum"] or "0")
        window = None
        if row["window_months"] or row["rule"] != BELOW:
            window = _whole(table, line, "window_months", row["window_months"], least=1)
        acts = tuple(_words(row["act_types"]))
        victims = tuple(_words(row["victim_types"]))
        for code in acts:
            if code not in act_codes:
                table.fail(line, _("%(code)s is not a type of act") % {"code": code})
        for code in victims:
            if code not in victim_codes:
                table.fail(line, _("%(code)s is not a type of defender") % {"code": code})
        if threshold is not None and minimum is not None:
            rules[key] = SignalRule(
                key, row["rule"], threshold, minimum, window, acts, victims, labels
            )
    table.done()
    return rules


@functools.cache
def directory(root: Path | None = None) -> dict[tuple[str, str], frozenset[str]]:
    """(audience, part) -> the contact fields that audience sees of that part's focal points."""
    table = _Table("directory.csv", ("audience", "part", *CONTACT_FIELDS), root)
    visible: dict[tuple[str, str], frozenset[str]] = {}
    seen: dict[str, int] = {}
    for line, row in table.rows:
        audience, part = row["audience"], row["part"]
        if audience not in AUDIENCES:
            table.fail(line, _("unknown audience %(audience)s") % {"audience": audience})
        if part not in Part.values:
            table.fail(line, _("unknown part %(part)s") % {"part": part})
        if not table.unique(line, f"{audience}/{part}", seen):
            continue
        fields = set()
        for column in CONTACT_FIELDS:
            if row[column] not in ("yes", "no"):
                table.fail(line, _("%(column)s must be yes or no") % {"column": column})
            elif row[column] == "yes":
                if audience == "staff" and column in SEALED_CONTACT_FIELDS:
                    table.fail(
                        line,
                        _(
                            "%(column)s is sealed with keys that staff outside the network's "
                            "work do not hold: it must be no for staff"
                        )
                        % {"column": column},
                    )
                fields.add(column)
        visible[(audience, part)] = frozenset(fields)
    for audience in AUDIENCES:
        for part in Part.values:
            if (audience, part) not in visible and f"{audience}/{part}" not in seen:
                table.fail(
                    0,
                    _("no row for %(audience)s/%(part)s") % {"audience": audience, "part": part},
                )
    table.done()
    return visible


def _labelled(name: str, key: str, root: Path | None) -> dict[str, Labels]:
    table = _Table(name, (key, *LABEL_COLUMNS), root)
    found: dict[str, Labels] = {}
    seen: dict[str, int] = {}
    for line, row in table.rows:
        labels = table.labels(line, row)
        if table.unique(line, row[key], seen):
            found[row[key]] = labels
    table.done()
    return found


@functools.cache
def publication_fields(root: Path | None = None) -> dict[str, Labels]:
    return _labelled("publication.csv", "field", root)


@functools.cache
def commitment_kinds(root: Path | None = None) -> dict[str, Labels]:
    return _labelled("commitment_kinds.csv", "code", root)


_SETTINGS: dict[str, Callable[[_Table, int, str], object]] = {
    "review_cycle_months": lambda t, line, v: _whole(t, line, "value", v, least=1),
    "co_chair_term_months": lambda t, line, v: _whole(t, line, "value", v, least=1),
    "co_chair_seats": lambda t, line, v: _whole(t, line, "value", v, least=2),
    "co_chair_order": lambda t, line, v: (
        v if v in CO_CHAIR_ORDERS else t.fail(line, _("co_chair_order must be joined or country"))
    ),
    "schedule_terms_ahead": lambda t, line, v: _whole(t, line, "value", v, least=1),
    "scorecard_flag_min_signals": lambda t, line, v: _whole(t, line, "value", v, least=1),
    "alert_acknowledgement_days": lambda t, line, v: _whole(t, line, "value", v, least=1),
    "partial_implementation_weight": lambda t, line, v: _number(t, line, "value", v),
}


@functools.cache
def settings(root: Path | None = None) -> NetworkSettings:
    table = _Table("network.csv", ("setting", "value"), root)
    values: dict[str, object] = {}
    seen: dict[str, int] = {}
    for line, row in table.rows:
        key = row["setting"]
        if not table.unique(line, key, seen):
            continue
        parse = _SETTINGS.get(key)
        if parse is None:
            table.fail(line, _("unknown setting %(setting)s") % {"setting": key})
            continue
        value = parse(table, line, row["value"])
        if value is not None:
            values[key] = value
    for key in _SETTINGS:
        if key not in seen:
            table.fail(0, _("the setting %(setting)s is missing") % {"setting": key})
    table.done()
    return NetworkSettings(**values)  # type: ignore[arg-type]


def every_problem(root: Path | None = None) -> Iterator[str]:
    """Every problem of every rules file (for the system check), without stopping at the first."""
    for load in (lifecycle, signals, directory, publication_fields, commitment_kinds, settings):
        try:
            load(root)
        except RulesError as error:
            yield from error.problems
