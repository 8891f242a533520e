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

`make i18n-check` runs

    python -m amparo.core.i18n check --catalogues LOCALE_DIR ... --templates TEMPLATE_DIR ...

which fails (exit status 1, one `file:line: message` per problem) if a message of a catalogue is
untranslated or fuzzy, or if a template (*.html, *.txt) shows text not marked for translation:
visible text outside {% translate %}, {% blocktranslate %}, variables and tags, and the alt, title,
placeholder and aria-label attributes. Text inside <script> and <style> is not visible and not
checked. Exemptions, for text that is not words: a text with no letters (symbols, numbers,
punctuation), the strings in TEMPLATE_TEXT_EXEMPT (codes and names that stay as they are in every
language), and any line that carries the comment {# i18n: ignore #}.
"""

from __future__ import annotations

import argparse
import html.parser
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


# Template text that is the same in every language: codes, names and marks, not words.
TEMPLATE_TEXT_EXEMPT = frozenset(
    {"Amparo", "English", "Français", "Español", "العربية", "CSV", "JSON", "PDF", "XLSX", "UTC"}
)
TRANSLATED_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label"})
IGNORE_COMMENT = "i18n: ignore"
# Template tags whose content is translated (up to the matching end tag) or never shown.
ENCLOSING_TAGS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
}


def catalogue_problems(po_path: Path) -> list[str]:
    """Every message of a catalogue that is untranslated or fuzzy, as `file:line: message`."""
    try:
        catalogue = polib.pofile(str(po_path), encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        return [f"{po_path}: cannot be read: {error}"]
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{po_path}:{entry.linenum}: fuzzy translation of {entry.msgid!r}")
        elif not entry.translated():
            problems.append(f"{po_path}:{entry.linenum}: untranslated: {entry.msgid!r}")
    return problems


def has_words(text: str) -> bool:
    """Whether `text` has a word with letters that is not one of TEMPLATE_TEXT_EXEMPT."""
    return any(
        word not in TEMPLATE_TEXT_EXEMPT and any(character.isalpha() for character in word)
        for word in text.split()
    )


class _VisibleText(html.parser.HTMLParser):
    """Collects (line, text) of the visible text and translated attributes of an HTML skeleton."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        for name, value in attrs:
            if name in TRANSLATED_ATTRIBUTES and value and has_words(value):
                self.found.append((self.getpos()[0], f"{name}={value!r}"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and has_words(data):
            first_letter = next(i for i, character in enumerate(data) if character.isalpha())
            self.found.append((self.getpos()[0] + data[:first_letter].count("\n"), data))


def _mark(skeleton: list[str]) -> str:
    """What stands for a tag or variable: a tag name where one is expected (<{{ heading }}>)."""
    return "t" if skeleton and skeleton[-1].endswith(("<", "</")) else "0"


def template_problems(template_path: Path) -> list[str]:
    """Visible text of a Django template that is not marked for translation, as `file:line: ...`."""
    from django.template.base import Lexer, TokenType

    source = template_path.read_text(encoding="utf-8")
    # The template with every tag, variable, comment and translated block replaced by a mark
    # without letters (keeping its line breaks), so that only the literal text keeps its words.
    skeleton: list[str] = []
    ignored_lines: set[int] = set()
    closing: str | None = None
    for token in Lexer(source).tokenize():
        line_breaks = "\n" * token.contents.count("\n")
        if token.token_type == TokenType.COMMENT:
            if IGNORE_COMMENT in token.contents and token.lineno is not None:
                ignored_lines.add(token.lineno)
            skeleton.append(_mark(skeleton) + line_breaks)
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if closing is None and name in ENCLOSING_TAGS:
                closing = ENCLOSING_TAGS[name]
            elif name == closing:
                closing = None
            skeleton.append(_mark(skeleton) + line_breaks)
            continue
        if token.token_type == TokenType.TEXT and closing is None:
            skeleton.append(token.contents)
        else:
            skeleton.append(_mark(skeleton) + line_breaks)
    parser = _VisibleText()
    parser.feed("".join(skeleton))
    parser.close()
    return [
        f"{template_path}:{line}: text not marked for translation: {' '.join(text.split())!r}"
        for line, text in parser.found
        if line not in ignored_lines
    ]


def check_all(catalogue_dirs: Sequence[Path], template_dirs: Sequence[Path]) -> int:
    """Report untranslated or fuzzy messages and unmarked template text; the exit status."""
    problems = [problem for po in catalogues(catalogue_dirs) for problem in catalogue_problems(po)]
    templates = sorted(
        path
        for root in template_dirs
        for pattern in ("*.html", "*.txt")
        for path in root.rglob(pattern)
    )
    problems += [problem for path in templates for problem in template_problems(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(
        f"Translations: {len(catalogues(catalogue_dirs))} catalogues, {len(templates)} templates, "
        f"{len(problems)} problem(s)."
    )
    return 1 if problems else 0


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
    check_command = commands.add_parser(
        "check", help="fail on untranslated or fuzzy messages and on unmarked template text"
    )
    check_command.add_argument(
        "--catalogues", nargs="*", type=Path, default=[], metavar="LOCALE_DIR"
    )
    check_command.add_argument("--templates", nargs="*", type=Path, default=[], metavar="DIR")
    arguments = parser.parse_args(argv)
    if arguments.command == "check":
        return check_all(arguments.catalogues, arguments.templates)
    return compile_all(arguments.locale_dirs or [DEFAULT_LOCALE_DIR])


if __name__ == "__main__":
    sys.exit(main())
