"""Loading the shipped vocabulary files into Thesaurus/Term.

The files live under amparo/core/vocabularies/ (docs/vocabularies.md describes them):

* ``huridocs/``: the HURIDOCS micro-thesauri exactly as extracted from OpenEvSys (lists.csv,
  terms.csv), plus ``additions.csv`` and ``corrections.csv``, which fix known errors of the source
  at load time. The source files stay byte-identical, so every fix is visible in one small diff.
* ``lists.csv`` and one ``<code>.csv`` per list: Amparo's own lists for human rights defenders.

`load` reads and validates every file before it writes anything, and reports every problem it
finds as "file, line N: reason". It then writes in one transaction: new terms are created,
changed ones updated, and terms that disappeared from a file are deactivated but never deleted,
because case records point at them. Loading the same files twice changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.core import access, audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Term, Thesaurus, User
from amparo.core.services import DomainError
from amparo.core.vocabulary.schema import (
    HURIDOCS,
    LABEL_FIELDS,
    SOURCE_AMPARO,
    SOURCE_HURIDOCS_ESF,
    SOURCE_HURIDOCS_LOCAL,
    VOCABULARY_DIR,
)

# lists.csv `origin` -> Thesaurus.source
HURIDOCS_ORIGINS = {"huridocs_esf": SOURCE_HURIDOCS_ESF, "local": SOURCE_HURIDOCS_LOCAL}

HURIDOCS_LIST_COLUMNS = ("list_code", "list_slug", *LABEL_FIELDS, "term_count", "origin")
HURIDOCS_TERM_COLUMNS = (
    "list_code",
    "term_code",
    "parent_code",
    *LABEL_FIELDS,
    "vocab_number",
    "term_order",
)
ADDITION_COLUMNS = ("list_code", "term_code", "parent_code", *LABEL_FIELDS, "reason")
CORRECTION_COLUMNS = (
    "list_code",
    "term_code",
    "field",
    "source_value",
    "corrected_value",
    "reason",
)
CORRECTABLE_LIST_FIELDS = frozenset(LABEL_FIELDS)
CORRECTABLE_TERM_FIELDS = frozenset({*LABEL_FIELDS, "parent_code"})
OWN_LIST_COLUMNS = ("code", "slug", *LABEL_FIELDS)
OWN_LIST_OPTIONAL = ("description",)
OWN_TERM_COLUMNS = ("code", "parent_code", *LABEL_FIELDS)
OWN_TERM_OPTIONAL = ("huridocs_equivalent",)

HURIDOCS_LIST_CODE = re.compile(r"\d{2}")
HURIDOCS_TERM_CODE = re.compile(r"\d{12}")
HURIDOCS_REFERENCE = re.compile(r"(?P<list>\d{2}):(?P<term>\d{12})")
OWN_CODE = re.compile(r"[a-z0-9][a-z0-9_]*")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
TERM_CODE_LENGTH = Term._meta.get_field("code").max_length or 40
TERM_LABEL_LENGTH = Term._meta.get_field("label_en").max_length or 300
LIST_CODE_LENGTH = Thesaurus._meta.get_field("code").max_length or 40
LIST_SLUG_LENGTH = Thesaurus._meta.get_field("slug").max_length or 80
LIST_LABEL_LENGTH = Thesaurus._meta.get_field("label_en").max_length or 200

TERM_FIELDS = ("parent", "depth", "position", *LABEL_FIELDS, "source", "source_code", "active")
THESAURUS_FIELDS = ("slug", *LABEL_FIELDS, "source", "description")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file. `line` is 0 when the problem concerns the whole file."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        if self.line:
            return _("%(file)s, line %(line)d: %(reason)s") % {
                "file": self.file,
                "line": self.line,
                "reason": self.reason,
            }
        return _("%(file)s: %(reason)s") % {"file": self.file, "reason": self.reason}


class VocabularyError(DomainError):
    """The vocabulary files are not valid; nothing was loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class TermSpec:
    code: str
    parent_code: str
    labels: dict[str, str]
    source_code: str
    file: str
    line: int
    order: int = 0
    depth: int = 0


@dataclass
class ListSpec:
    code: str
    slug: str
    labels: dict[str, str]
    source: str
    description: str
    file: str  # where lists.csv declares it
    line: int
    terms: list[TermSpec] = field(default_factory=list)


@dataclass
class _Table:
    name: str
    rows: list[tuple[int, dict[str, str]]]


def _clean(value: str) -> str:
    """NFC, no-break and other spaces as one plain space, trimmed: what the source cleaning did."""
    return " ".join(unicodedata.normalize("NFC", value).split())


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# A Latin-1 letter for a UTF-8 lead byte followed by what Windows-1252 shows for continuation
# bytes (0x80-0xBF): the shape UTF-8 takes when it is opened in the wrong encoding.
_MOJIBAKE_CANDIDATE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]{1,3}"
)


def _looks_mis_decoded(value: str) -> bool:
    """UTF-8 that was read as Windows-1252 or Latin-1 ("Ã©" for "é") and saved again.

    Such a run turns back into one valid UTF-8 character when encoded in the wrong code page;
    real accented or Arabic text has no such runs.
    """
    for match in _MOJIBAKE_CANDIDATE.finditer(value):
        for encoding in ("cp1252", "latin-1"):
            try:
                match.group().encode(encoding).decode("utf-8")
            except UnicodeError:
                continue
            return True
    return False


def _text_problem(value: str) -> str | None:
    if "\ufffd" in value:
        return _(
            "contains the replacement character U+FFFD: characters were lost when the file was "
            "converted from another encoding"
        )
    if _CONTROL.search(value):
        return _("contains a control character")
    if _looks_mis_decoded(value):
        return _(
            "“%(value)s” looks like UTF-8 text that was opened in another encoding and saved "
            "again (mojibake)"
        ) % {"value": value}
    return None


def _decode(raw: bytes, name: str, problems: list[Problem]) -> str | None:
    if raw.startswith(codecs.BOM_UTF8):  # spreadsheets add one when they save "CSV UTF-8"
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    name,
                    number,
                    _(
                        "not valid UTF-8 (byte 0x%(byte)02x at character %(column)d); save the "
                        "file as UTF-8"
                    )
                    % {"byte": line[error.start], "column": error.start + 1},
                )
            )
    return None


def _read_table(
    path: Path,
    name: str,
    required: Sequence[str],
    problems: list[Problem],
    *,
    optional: Sequence[str] | None = None,
    checked: Iterable[str] = (),
) -> _Table | None:
    """Rows of a CSV file with the line each starts on, or None when the file cannot be used.

    `optional` given means any other column is a mistake (a typo in a column name would otherwise
    silently drop a language). Values of the `checked` columns are checked for encoding damage.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(name, 0, _("file not found")))
        return None
    except OSError as error:
        problems.append(
            Problem(name, 0, _("cannot be read (%(error)s)") % {"error": error.strerror})
        )
        return None
    text = _decode(raw, name, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        problems.append(Problem(name, 0, _("the file is empty")))
        return None
    except csv.Error as error:
        problems.append(Problem(name, 1, _("malformed CSV: %(error)s") % {"error": error}))
        return None
    missing = [column for column in required if column not in header]
    if missing:
        problems.append(
            Problem(
                name,
                1,
                _("missing required column(s): %(columns)s") % {"columns": ", ".join(missing)},
            )
        )
        return None
    repeated = sorted({column for column in header if header.count(column) > 1})
    if repeated:
        problems.append(
            Problem(
                name, 1, _("repeated column(s): %(columns)s") % {"columns": ", ".join(repeated)}
            )
        )
        return None
    if optional is not None:
        unknown = [column for column in header if column not in (*required, *optional)]
        if unknown:
            problems.append(
                Problem(
                    name,
                    1,
                    _("unknown column(s): %(columns)s (expected %(expected)s)")
                    % {
                        "columns": ", ".join(unknown),
                        "expected": ", ".join((*required, *optional)),
                    },
                )
            )
    checked = tuple(checked)
    rows: list[tuple[int, dict[str, str]]] = []
    next_line = reader.line_num + 1
    while True:
        start = next_line
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(Problem(name, start, _("malformed CSV: %(error)s") % {"error": error}))
            return None
        next_line = reader.line_num + 1
        if not any(value.strip() for value in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    name,
                    start,
                    _("%(found)d fields where the header has %(expected)d")
                    % {"found": len(record), "expected": len(header)},
                )
            )
            continue
        values = {column: _clean(value) for column, value in zip(header, record, strict=True)}
        for column in checked:
            reason = _text_problem(values.get(column, ""))
            if reason:
                problems.append(Problem(name, start, f"{column}: {reason}"))
        rows.append((start, values))
    return _Table(name, rows)


def _huridocs_lists(root: Path, problems: list[Problem]) -> list[ListSpec]:
    base = root / HURIDOCS
    lists_table = _read_table(
        base / "lists.csv",
        f"{HURIDOCS}/lists.csv",
        HURIDOCS_LIST_COLUMNS,
        problems,
        checked=("list_code", "list_slug", *LABEL_FIELDS),
    )
    terms_table = _read_table(
        base / "terms.csv",
        f"{HURIDOCS}/terms.csv",
        HURIDOCS_TERM_COLUMNS,
        problems,
        checked=("term_code", "parent_code", *LABEL_FIELDS),
    )
    additions = _read_table(
        base / "additions.csv",
        f"{HURIDOCS}/additions.csv",
        ADDITION_COLUMNS,
        problems,
        optional=(),
        checked=("term_code", "parent_code", *LABEL_FIELDS),
    )
    corrections = _read_table(
        base / "corrections.csv",
        f"{HURIDOCS}/corrections.csv",
        CORRECTION_COLUMNS,
        problems,
        optional=(),
        checked=("corrected_value",),
    )
    if lists_table is None or terms_table is None:
        return []

    lists: dict[str, ListSpec] = {}
    declared: dict[str, tuple[int, int]] = {}  # list code -> (term_count, line)
    for line, row in lists_table.rows:
        code = row["list_code"]
        if not HURIDOCS_LIST_CODE.fullmatch(code):
            problems.append(
                Problem(
                    lists_table.name,
                    line,
                    _("list code “%(code)s” is not two digits") % {"code": code},
                )
            )
            continue
        if code in lists:
            problems.append(
                Problem(
                    lists_table.name,
                    line,
                    _("duplicate list code %(code)s (first on line %(first)d)")
                    % {"code": code, "first": lists[code].line},
                )
            )
            continue
        source = HURIDOCS_ORIGINS.get(row["origin"])
        if source is None:
            problems.append(
                Problem(
                    lists_table.name,
                    line,
                    _("unknown origin “%(origin)s” (expected %(expected)s)")
                    % {"origin": row["origin"], "expected": ", ".join(HURIDOCS_ORIGINS)},
                )
            )
            continue
        if row["term_count"]:
            if row["term_count"].isdigit():
                declared[code] = (int(row["term_count"]), line)
            else:
                problems.append(
                    Problem(lists_table.name, line, _("term_count is not a whole number"))
                )
        fields = row.get("used_in_fields", "").replace(";", ", ")
        lists[code] = ListSpec(
            code=code,
            slug=row["list_slug"],
            labels={name: row[name] for name in LABEL_FIELDS},
            source=source,
            # Stored data, like the labels: English whatever the loader's language.
            description=f"ESF fields: {fields}" if fields else "",
            file=lists_table.name,
            line=line,
        )

    for line, row in terms_table.rows:
        spec = lists.get(row["list_code"])
        if spec is None:
            problems.append(
                Problem(
                    terms_table.name,
                    line,
                    _("list %(list)s is not declared in %(lists)s")
                    % {"list": row["list_code"], "lists": lists_table.name},
                )
            )
            continue
        code = row["term_code"]
        if not HURIDOCS_TERM_CODE.fullmatch(code):
            problems.append(
                Problem(
                    terms_table.name,
                    line,
                    _("term code “%(code)s” is not 12 digits") % {"code": code},
                )
            )
            continue
        if row["vocab_number"] != code + spec.code:
            problems.append(
                Problem(
                    terms_table.name,
                    line,
                    _("vocab_number %(number)s is not the term code followed by the list code")
                    % {"number": row["vocab_number"]},
                )
            )
        if not row["term_order"].isdigit():
            problems.append(Problem(terms_table.name, line, _("term_order is not a whole number")))
            continue
        spec.terms.append(
            TermSpec(
                code=code,
                parent_code=row["parent_code"],
                labels={name: row[name] for name in LABEL_FIELDS},
                source_code=code + spec.code,
                file=terms_table.name,
                line=line,
                order=int(row["term_order"]),
            )
        )
    for code, (count, line) in declared.items():
        found = len(lists[code].terms)
        if found != count:
            problems.append(
                Problem(
                    lists_table.name,
                    line,
                    _("list %(list)s declares %(declared)d terms but %(terms)s has %(found)d")
                    % {"list": code, "declared": count, "terms": terms_table.name, "found": found},
                )
            )
    for spec in lists.values():
        spec.terms.sort(key=lambda term: (term.order, term.code))
    if additions is not None:
        _apply_additions(lists, additions, problems)
    if corrections is not None:
        _apply_corrections(lists, corrections, problems)
    return list(lists.values())


def _apply_additions(lists: dict[str, ListSpec], table: _Table, problems: list[Problem]) -> None:
    """Insert each added term after the term whose code precedes it, as the source orders codes."""
    for line, row in table.rows:
        spec = lists.get(row["list_code"])
        if spec is None:
            problems.append(
                Problem(table.name, line, _("unknown list %(list)s") % {"list": row["list_code"]})
            )
            continue
        code = row["term_code"]
        if not HURIDOCS_TERM_CODE.fullmatch(code):
            problems.append(
                Problem(
                    table.name, line, _("term code “%(code)s” is not 12 digits") % {"code": code}
                )
            )
            continue
        if any(term.code == code for term in spec.terms):
            problems.append(
                Problem(
                    table.name,
                    line,
                    _("term %(code)s already exists in list %(list)s")
                    % {"code": code, "list": spec.code},
                )
            )
            continue
        empty = [name for name in LABEL_FIELDS if not row[name]]
        if empty:
            problems.append(
                Problem(
                    table.name,
                    line,
                    _("an added term needs all four labels; empty: %(columns)s")
                    % {"columns": ", ".join(empty)},
                )
            )
        if not row["reason"]:
            problems.append(Problem(table.name, line, _("give the reason for the addition")))
        index = max((i + 1 for i, term in enumerate(spec.terms) if term.code < code), default=0)
        spec.terms.insert(
            index,
            TermSpec(
                code=code,
                parent_code=row["parent_code"],
                labels={name: row[name] for name in LABEL_FIELDS},
                source_code=code + spec.code,
                file=table.name,
                line=line,
            ),
        )


def _apply_corrections(lists: dict[str, ListSpec], table: _Table, problems: list[Problem]) -> None:
    """Each correction names the value it replaces, so it fails loudly if the source changes."""
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in table.rows:
        list_code, term_code, name = row["list_code"], row["term_code"], row["field"]
        key = (list_code, term_code, name)
        if key in seen:
            problems.append(
                Problem(
                    table.name,
                    line,
                    _("repeats the correction on line %(first)d") % {"first": seen[key]},
                )
            )
            continue
        seen[key] = line
        spec = lists.get(list_code)
        if spec is None:
            problems.append(
                Problem(table.name, line, _("unknown list %(list)s") % {"list": list_code})
            )
            continue
        if not row["reason"]:
            problems.append(Problem(table.name, line, _("give the reason for the correction")))
        term: TermSpec | None = None
        if term_code:
            term = next((item for item in spec.terms if item.code == term_code), None)
            if term is None:
                problems.append(
                    Problem(
                        table.name,
                        line,
                        _("list %(list)s has no term %(code)s")
                        % {"list": list_code, "code": term_code},
                    )
                )
                continue
        allowed = CORRECTABLE_TERM_FIELDS if term else CORRECTABLE_LIST_FIELDS
        if name not in allowed:
            problems.append(
                Problem(
                    table.name,
                    line,
                    _("field “%(field)s” cannot be corrected (allowed: %(allowed)s)")
                    % {"field": name, "allowed": ", ".join(sorted(allowed))},
                )
            )
            continue
        new = row["corrected_value"]
        labels = term.labels if term else spec.labels
        current = term.parent_code if term and name == "parent_code" else labels.get(name, "")
        if current != row["source_value"]:
            problems.append(
                Problem(
                    table.name,
                    line,
                    _(
                        "the source value is now “%(current)s”, not “%(expected)s”: the source "
                        "changed, review this correction"
                    )
                    % {"current": current, "expected": row["source_value"]},
                )
            )
        elif term and name == "parent_code":
            if new and not any(item.code == new for item in spec.terms):
                problems.append(
                    Problem(
                        table.name,
                        line,
                        _("list %(list)s has no term %(code)s to be the parent")
                        % {"list": list_code, "code": new},
                    )
                )
            else:
                term.parent_code = new
        else:
            labels[name] = new


def _own_lists(root: Path, problems: list[Problem], references: set[str]) -> list[ListSpec]:
    """Amparo's lists: lists.csv declares each list, whose terms are in <code>.csv."""
    table = _read_table(
        root / "lists.csv",
        "lists.csv",
        OWN_LIST_COLUMNS,
        problems,
        optional=OWN_LIST_OPTIONAL,
        checked=("code", "slug", *LABEL_FIELDS, "description"),
    )
    if table is None:
        return []
    lists: list[ListSpec] = []
    declared: dict[str, int] = {}
    for line, row in table.rows:
        code = row["code"]
        if not OWN_CODE.fullmatch(code) or len(code) > LIST_CODE_LENGTH:
            problems.append(
                Problem(
                    table.name,
                    line,
                    _(
                        "list code “%(code)s” must be lower-case letters, digits and underscores "
                        "(at most %(max)d)"
                    )
                    % {"code": code, "max": LIST_CODE_LENGTH},
                )
            )
            continue
        if code in declared:
            problems.append(
                Problem(
                    table.name,
                    line,
                    _("duplicate list code %(code)s (first on line %(first)d)")
                    % {"code": code, "first": declared[code]},
                )
            )
            continue
        declared[code] = line
        spec = ListSpec(
            code=code,
            slug=row["slug"],
            labels={name: row[name] for name in LABEL_FIELDS},
            source=SOURCE_AMPARO,
            description=row.get("description", ""),
            file=table.name,
            line=line,
        )
        terms = _read_table(
            root / f"{code}.csv",
            f"{code}.csv",
            OWN_TERM_COLUMNS,
            problems,
            optional=OWN_TERM_OPTIONAL,
            checked=(*OWN_TERM_COLUMNS, *OWN_TERM_OPTIONAL),
        )
        for order, (term_line, term_row) in enumerate(terms.rows if terms else [], start=1):
            term = TermSpec(
                code=term_row["code"],
                parent_code=term_row["parent_code"],
                labels={name: term_row[name] for name in LABEL_FIELDS},
                source_code="",
                file=f"{code}.csv",
                line=term_line,
                order=order,
            )
            if term.code and not OWN_CODE.fullmatch(term.code):
                problems.append(
                    Problem(
                        term.file,
                        term_line,
                        _("code “%(code)s” must be lower-case letters, digits and underscores")
                        % {"code": term.code},
                    )
                )
            equivalent = term_row.get("huridocs_equivalent", "")
            if equivalent:
                match = HURIDOCS_REFERENCE.fullmatch(equivalent)
                if match is None:
                    problems.append(
                        Problem(
                            term.file,
                            term_line,
                            _(
                                "huridocs_equivalent “%(value)s” must be a list code and a term "
                                "code, e.g. 04:020103020000"
                            )
                            % {"value": equivalent},
                        )
                    )
                elif f"{match['term']}{match['list']}" not in references:
                    problems.append(
                        Problem(
                            term.file,
                            term_line,
                            _(
                                "huridocs_equivalent %(value)s: HURIDOCS list %(list)s has no "
                                "such term"
                            )
                            % {"value": equivalent, "list": match["list"]},
                        )
                    )
                else:
                    term.source_code = f"{match['term']}{match['list']}"
            spec.terms.append(term)
        lists.append(spec)
    for path in sorted(root.glob("*.csv")):
        if path.name != "lists.csv" and path.stem not in declared:
            problems.append(
                Problem(
                    path.name,
                    0,
                    _("not declared in lists.csv; add a line for it or remove the file"),
                )
            )
    return lists


def _check_list(spec: ListSpec, problems: list[Problem]) -> None:
    """Codes, labels and the parent tree of one list; sets each term's depth."""
    by_code: dict[str, TermSpec] = {}
    for term in spec.terms:
        if not term.code:
            problems.append(Problem(term.file, term.line, _("empty code")))
            continue
        if len(term.code) > TERM_CODE_LENGTH:
            problems.append(
                Problem(
                    term.file,
                    term.line,
                    _("code is longer than %(max)d characters") % {"max": TERM_CODE_LENGTH},
                )
            )
        if term.code in by_code:
            first = by_code[term.code]
            problems.append(
                Problem(
                    term.file,
                    term.line,
                    _("duplicate code %(code)s (first on line %(first)d of %(file)s)")
                    % {"code": term.code, "first": first.line, "file": first.file},
                )
            )
            continue
        by_code[term.code] = term
        if not term.labels["label_en"]:
            problems.append(Problem(term.file, term.line, _("empty English label (label_en)")))
        for name, value in term.labels.items():
            if len(value) > TERM_LABEL_LENGTH:
                problems.append(
                    Problem(
                        term.file,
                        term.line,
                        _("%(column)s is longer than %(max)d characters")
                        % {"column": name, "max": TERM_LABEL_LENGTH},
                    )
                )
    for term in by_code.values():
        if term.parent_code and term.parent_code not in by_code:
            problems.append(
                Problem(
                    term.file,
                    term.line,
                    _("unknown parent %(parent)s: no term in list %(list)s has that code")
                    % {"parent": term.parent_code, "list": spec.code},
                )
            )
    _set_depths(spec, by_code, problems)


def _set_depths(spec: ListSpec, by_code: dict[str, TermSpec], problems: list[Problem]) -> None:
    depths: dict[str, int] = {}
    for start in by_code.values():
        path: list[TermSpec] = []
        on_path: set[str] = set()
        current: TermSpec | None = start
        while current is not None and current.code not in depths:
            if current.code in on_path:
                loop = path[path.index(current) :]
                first = min(loop, key=lambda term: (term.file, term.line))
                problems.append(
                    Problem(
                        first.file,
                        first.line,
                        _("parent cycle: %(chain)s")
                        % {"chain": " → ".join([*(t.code for t in loop), current.code])},
                    )
                )
                for term in path:
                    depths[term.code] = 0
                break
            path.append(current)
            on_path.add(current.code)
            current = by_code.get(current.parent_code) if current.parent_code else None
        else:
            depth = depths[current.code] + 1 if current is not None else 0
            for term in reversed(path):
                depths[term.code] = depth
                depth += 1
    for term in spec.terms:
        term.depth = depths.get(term.code, 0)


def _check_lists(lists: list[ListSpec], problems: list[Problem]) -> None:
    names: dict[str, ListSpec] = {}
    for spec in lists:
        if not SLUG.fullmatch(spec.slug) or len(spec.slug) > LIST_SLUG_LENGTH:
            problems.append(
                Problem(
                    spec.file,
                    spec.line,
                    _("slug “%(slug)s” must be letters, digits, hyphens or underscores")
                    % {"slug": spec.slug},
                )
            )
        if not spec.labels["label_en"]:
            problems.append(Problem(spec.file, spec.line, _("empty English label (label_en)")))
        for name, value in spec.labels.items():
            if len(value) > LIST_LABEL_LENGTH:
                problems.append(
                    Problem(
                        spec.file,
                        spec.line,
                        _("%(column)s is longer than %(max)d characters")
                        % {"column": name, "max": LIST_LABEL_LENGTH},
                    )
                )
        # Codes and slugs share one namespace: `term("types_of_acts", ...)` and
        # `term("04", ...)` must both name the same list.
        for name in {spec.code, spec.slug}:
            other = names.get(name)
            if other is not None and other is not spec:
                problems.append(
                    Problem(
                        spec.file,
                        spec.line,
                        _("“%(name)s” already names list %(other)s (%(file)s, line %(line)d)")
                        % {
                            "name": name,
                            "other": other.code,
                            "file": other.file,
                            "line": other.line,
                        },
                    )
                )
            names.setdefault(name, spec)
        _check_list(spec, problems)


def read_vocabularies(root: Path | str | None = None) -> list[ListSpec]:
    """Every list under `root`, validated; raises VocabularyError listing every problem found."""
    base = Path(root) if root is not None else VOCABULARY_DIR
    if not base.is_dir():
        raise VocabularyError([Problem(str(base), 0, _("not a directory"))])
    problems: list[Problem] = []
    huridocs = _huridocs_lists(base, problems)
    references = {term.source_code for spec in huridocs for term in spec.terms}
    lists = [*huridocs, *_own_lists(base, problems, references)]
    _check_lists(lists, problems)
    if problems:
        raise VocabularyError(problems)
    return lists


@dataclass
class ListReport:
    code: str
    slug: str
    created: bool = False
    changed_list: bool = False
    added: int = 0
    changed: int = 0
    deactivated: int = 0
    unchanged: int = 0


@dataclass
class LoadReport:
    lists: list[ListReport]
    dry_run: bool

    def totals(self) -> dict[str, int]:
        return {
            "lists_added": sum(report.created for report in self.lists),
            "lists_changed": sum(report.changed_list for report in self.lists),
            "added": sum(report.added for report in self.lists),
            "changed": sum(report.changed for report in self.lists),
            "deactivated": sum(report.deactivated for report in self.lists),
            "unchanged": sum(report.unchanged for report in self.lists),
        }


def load(
    path: Path | str | None = None, *, actor: User | None = None, dry_run: bool = False
) -> LoadReport:
    """Load (or, with dry_run, compare) the vocabulary files under `path` into the database.

    `actor` is None for the command line, which only someone with shell access can run.
    """
    if not access.may_load_vocabularies(actor):
        raise PermissionDenied
    lists = read_vocabularies(path)
    if dry_run:
        return _reconcile(lists, write=False)
    with transaction.atomic():
        report = _reconcile(lists, write=True)
        _record(actor, report)
    return report


def _record(actor: User | None, report: LoadReport) -> None:
    touched = {
        item.code: {"added": item.added, "changed": item.changed, "deactivated": item.deactivated}
        for item in report.lists
        if item.created or item.changed_list or item.added or item.changed or item.deactivated
    }
    audit.record(
        actor,
        AuditAction.VOCABULARY_LOAD,
        object_type=Thesaurus._meta.label_lower,
        object_id="",
        changes={"totals": report.totals(), "lists": touched},
    )


def _reconcile(lists: list[ListSpec], *, write: bool) -> LoadReport:
    codes = [spec.code for spec in lists]
    existing = {thesaurus.code: thesaurus for thesaurus in Thesaurus.objects.filter(code__in=codes)}
    _check_slugs_against_database(lists, existing)
    current: dict[int, dict[str, Term]] = defaultdict(dict)
    code_of: dict[int, str] = {}
    for stored in Term.objects.filter(thesaurus__in=list(existing.values())):
        current[stored.thesaurus_id][stored.code] = stored
        code_of[stored.pk] = stored.code

    reports: list[ListReport] = []
    new_terms: list[tuple[Term, str]] = []  # with the parent's code, resolved once ids exist
    updated: list[tuple[Term, str]] = []
    deactivated: list[Term] = []
    for spec in lists:
        report = ListReport(code=spec.code, slug=spec.slug)
        reports.append(report)
        thesaurus = existing.get(spec.code)
        wanted_list: dict[str, Any] = {
            "slug": spec.slug,
            **spec.labels,
            "source": spec.source,
            "description": spec.description,
        }
        if thesaurus is None:
            report.created = True
            thesaurus = Thesaurus(code=spec.code, **wanted_list)
            if write:
                thesaurus.save()
        elif _differs(thesaurus, wanted_list):
            report.changed_list = True
            for name, value in wanted_list.items():
                setattr(thesaurus, name, value)
            if write:
                thesaurus.save(update_fields=list(THESAURUS_FIELDS))
        terms = current.get(thesaurus.pk, {}) if thesaurus.pk else {}
        for position, term_spec in enumerate(spec.terms, start=1):
            content: dict[str, Any] = {
                **term_spec.labels,
                "source": spec.source,
                "source_code": term_spec.source_code,
                "active": True,
            }
            # Depth and position follow from the other rows: inserting or removing one row
            # shifts them for others, which are updated but not reported as changed.
            derived = {"depth": term_spec.depth, "position": position}
            found = terms.get(term_spec.code)
            if found is None:
                report.added += 1
                new_terms.append(
                    (
                        Term(thesaurus=thesaurus, code=term_spec.code, **content, **derived),
                        term_spec.parent_code,
                    )
                )
                continue
            changed = code_of.get(found.parent_id or 0, "") != term_spec.parent_code or _differs(
                found, content
            )
            if changed:
                report.changed += 1
            else:
                report.unchanged += 1
            if changed or _differs(found, derived):
                for name, value in {**content, **derived}.items():
                    setattr(found, name, value)
                updated.append((found, term_spec.parent_code))
        listed = {term_spec.code for term_spec in spec.terms}
        for code, gone in terms.items():
            if code not in listed and gone.active:
                report.deactivated += 1
                gone.active = False
                deactivated.append(gone)
    if write:
        _write_terms(new_terms, updated, deactivated, current)
    return LoadReport(lists=reports, dry_run=not write)


def _check_slugs_against_database(lists: list[ListSpec], existing: dict[str, Thesaurus]) -> None:
    """A slug may already belong to a list that is not in these files (renamed or local)."""
    wanted = {spec.slug: spec for spec in lists}
    problems = [
        Problem(
            wanted[thesaurus.slug].file,
            wanted[thesaurus.slug].line,
            _("slug “%(slug)s” already belongs to list %(other)s in the database")
            % {"slug": thesaurus.slug, "other": thesaurus.code},
        )
        for thesaurus in Thesaurus.objects.filter(slug__in=list(wanted)).exclude(
            code__in=list(existing)
        )
        if wanted[thesaurus.slug].code != thesaurus.code
    ]
    if problems:
        raise VocabularyError(problems)


def _differs(obj: Term | Thesaurus, wanted: dict[str, Any]) -> bool:
    return any(getattr(obj, name) != value for name, value in wanted.items())


def _write_terms(
    new_terms: list[tuple[Term, str]],
    updated: list[tuple[Term, str]],
    deactivated: list[Term],
    current: dict[int, dict[str, Term]],
) -> None:
    ids = {
        (thesaurus_id, code): item.pk
        for thesaurus_id, terms in current.items()
        for code, item in terms.items()
    }
    # Parents first: a term's parent is one level up, so creating level by level means every
    # parent has its id when its children are inserted. SQLite and PostgreSQL, the two databases
    # Amparo runs on, both return the new ids from bulk_create.
    by_depth: dict[int, list[tuple[Term, str]]] = defaultdict(list)
    for item, parent_code in new_terms:
        by_depth[item.depth].append((item, parent_code))
    for depth in sorted(by_depth):
        level = by_depth[depth]
        for item, parent_code in level:
            item.parent_id = ids[(item.thesaurus_id, parent_code)] if parent_code else None
        for item in Term.objects.bulk_create([item for item, _parent in level], batch_size=500):
            ids[(item.thesaurus_id, item.code)] = item.pk
    for item, parent_code in updated:
        item.parent_id = ids[(item.thesaurus_id, parent_code)] if parent_code else None
    if updated:
        Term.objects.bulk_update([item for item, _parent in updated], TERM_FIELDS, batch_size=500)
    if deactivated:
        Term.objects.bulk_update(deactivated, ["active"], batch_size=500)
