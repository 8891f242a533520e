"""Translation catalogues: compile them without GNU gettext, and check them while doing so.

Amparo's catalogues live in locale/<language>/LC_MESSAGES/django.po (en, fr, es, ar). The compiled
.mo files are not committed; `make install` (and so `make run` and `make test`) runs

    python -m amparo.core.i18n compile [LOCALE_DIR ...]

which compiles every locale/*/LC_MESSAGES/*.po whose .mo is missing or older, using the
pure-Python polib package, so that installing Amparo needs no gettext binary. Fuzzy and obsolete
entries are left out, as msgfmt does. A translation whose %-placeholders do not match its source
string would raise at run time (a KeyError or TypeError in the middle of a page), so it stops the
compilation instead, with the file, line and reason.

To extract new or changed strings (this step needs GNU gettext: `apt-get install gettext`), from the
repository root:

    AMPARO_TESTING=1 .venv/bin/amparo makemessages --locale fr --locale es --locale ar \\
        --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'

then translate the new entries in locale/<language>/LC_MESSAGES/django.po, remove their `fuzzy`
flags once checked, and run `make messages`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polib

DEFAULT_LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"

# A printf-style conversion as Python's % operator reads it: %(name)s, %s, %5.2f, %%.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # mapping key
    r"[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)


class CatalogueError(Exception):
    """A catalogue that cannot be compiled; the message names the file and line."""


@dataclass(frozen=True)
class Placeholders:
    named: frozenset[str]
    positional: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Placeholders:
        named: set[str] = set()
        positional: list[str] = []
        for match in PLACEHOLDER.finditer(text):
            if match["type"] == "%":
                continue
            if match["name"] is not None:
                named.add(match["name"])
            else:
                positional.append(match["type"])
        return cls(frozenset(named), tuple(positional))


def placeholder_problem(source: str, translation: str) -> str | None:
    """Why `translation` cannot be %-formatted with the arguments `source` is formatted with."""
    expected = Placeholders.of(source)
    found = Placeholders.of(translation)
    unknown = found.named - expected.named
    if unknown:
        return "unknown placeholder(s) " + ", ".join(f"%({name})" for name in sorted(unknown))
    if found.positional != expected.positional:
        return (
            f"positional placeholders {''.join(found.positional) or 'none'} "
            f"where the source has {''.join(expected.positional) or 'none'}"
        )
    return None


def check_entry(path: Path, entry: polib.POEntry) -> list[str]:
    if "python-format" not in entry.flags or not entry.translated():
        return []
    if entry.msgid_plural:
        # One translated form may serve several source forms (Arabic has six), so each form is
        # checked against the plural source, which carries every argument the code passes.
        pairs = [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
    else:
        pairs = [(entry.msgid, entry.msgstr)]
    problems = []
    for source, translation in pairs:
        problem = placeholder_problem(source, translation)
        if problem:
            problems.append(f"{path}:{entry.linenum}: {problem} in the translation of {source!r}")
    return problems


def catalogues(locale_dirs: Iterable[Path]) -> list[Path]:
    return sorted(po for root in locale_dirs for po in root.glob("*/LC_MESSAGES/*.po"))


def compile_catalogue(po_path: Path) -> bool:
    """Compile one catalogue next to itself; False if its .mo was already up to date."""
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return False
    try:
        catalogue = polib.pofile(str(po_path), encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{po_path}: cannot be read: {error}") from error
    problems = [problem for entry in catalogue for problem in check_entry(po_path, entry)]
    if problems:
        raise CatalogueError("\n".join(problems))
    # Written aside and renamed, so that a running server never reads half a file.
    partial = mo_path.with_name(mo_path.name + ".partial")
    catalogue.save_as_mofile(str(partial))
    os.replace(partial, mo_path)
    return True


def compile_all(locale_dirs: Sequence[Path]) -> int:
    """Compile every catalogue under `locale_dirs`; the exit status for the command line."""
    found = catalogues(locale_dirs)
    if not found:
        where = ", ".join(str(d) for d in locale_dirs)
        print(f"No translation catalogues (*/LC_MESSAGES/*.po) under {where}: nothing to compile.")
        return 0
    compiled = 0
    failed = 0
    for po_path in found:
        try:
            compiled += compile_catalogue(po_path)
        except CatalogueError as error:
            print(error, file=sys.stderr)
            failed += 1
    print(
        f"Translation catalogues: {len(found)} found, {compiled} compiled, "
        f"{len(found) - compiled - failed} up to date, {failed} with errors."
    )
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m amparo.core.i18n",
        description="Compile Amparo's translation catalogues (.po to .mo) without GNU gettext.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    compile_command = commands.add_parser(
        "compile", help="compile every LOCALE_DIR/*/LC_MESSAGES/*.po whose .mo is out of date"
    )
    compile_command.add_argument(
        "locale_dirs",
        nargs="*",
        type=Path,
        metavar="LOCALE_DIR",
        help=f"where the catalogues are (default: {DEFAULT_LOCALE_DIR})",
    )
    arguments = parser.parse_args(argv)
    return compile_all(arguments.locale_dirs or [DEFAULT_LOCALE_DIR])


if __name__ == "__main__":
    sys.exit(main())
