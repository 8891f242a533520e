"""Untrusted files, checked before they are unpacked or parsed: memory stays bounded and every
bad file gets a clear DomainError (a 400 on the web, exit 1 from the command line), never a 500.

XLSX is a zip of XML parts. Before the reader (`sheet_reader`) opens one:
- the archive's directory is read from its end record first, so that a file declaring
  thousands of members is refused before Python builds an object per member;
- every member's declared size is checked, alone, against its compressed size (a "zip bomb"
  inflates a thousand times) and in total. Python's zipfile never inflates a member past its
  declared size (it stops with a bad checksum), so the declared sizes bound what can come out;
- every XML part's prolog is read with expat up to its root element, and a document type
  declaration refuses the file: entities are declared there, so neither "billion laughs"
  (entities that expand into gigabytes) nor external entities (XXE, which read local files or
  fetch URLs) can reach the reader. (calamine fails on both files without expanding them; the
  check also keeps the file from any other XML parser it may meet later.)

JSON (the HURIDOCS exchange document) is scanned before it is parsed: its nesting depth (a
deep document makes Python's parser recurse until it fails) and its number of values (each
costs tens of bytes once parsed) are bounded.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from array import array
from typing import IO, Any
from xml.parsers import expat

from django.utils.translation import gettext as _

from amparo.core.services import DomainError

MAX_ZIP_MEMBERS = 1000
# A member may inflate to this many times its compressed size; beyond, only when it is small.
MAX_COMPRESSION_RATIO = 100
SMALL_MEMBER_BYTES = 1024 * 1024
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
# Comments and whitespace allowed before an XML part's root element.
MAX_PROLOG_BYTES = 64 * 1024
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD_SEARCH = 22 + 65535  # the record and the longest comment after it

MAX_JSON_DEPTH = 32
MAX_JSON_VALUES = 2_000_000
_JSON_WINDOW = 1024 * 1024
# An opening bracket counts +1, a closing one -1 (as signed bytes); everything else is dropped.
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


class UnsafeFile(DomainError):
    """The file is refused before it is unpacked or parsed."""


# --- XLSX ----------------------------------------------------------------------------------------


def check_xlsx(data: bytes) -> None:
    """Refuse a workbook whose unpacking or parsing could exhaust memory or reach beyond it."""
    _check_member_count(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_sizes(members)
            for member in members:
                if member.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as part:
                        _check_prolog(part)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
        raise UnsafeFile(_("The file is not a readable XLSX workbook.")) from None


def _check_member_count(data: bytes) -> None:
    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - _END_RECORD_SEARCH))
    if end < 0 or len(data) < end + 22:
        raise UnsafeFile(_("The file is not a readable XLSX workbook."))
    entries = int.from_bytes(data[end + 10 : end + 12], "little")
    if entries > MAX_ZIP_MEMBERS:
        raise UnsafeFile(
            _("The workbook holds more than %(count)d parts: it is not a plain spreadsheet.")
            % {"count": MAX_ZIP_MEMBERS}
        )


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    total = 0
    for member in members:
        total += member.file_size
        inflates = member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        if member.file_size > SMALL_MEMBER_BYTES and inflates:
            raise UnsafeFile(
                _(
                    "Part “%(name)s” of the workbook inflates more than %(ratio)d times: "
                    "the file is refused as a compression bomb."
                )
                % {"name": member.filename[:100], "ratio": MAX_COMPRESSION_RATIO}
            )
    if total > MAX_UNPACKED_BYTES:
        raise UnsafeFile(
            _("The workbook unpacks to more than %(size)d MB: split it.")
            % {"size": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )


class _RootReached(Exception):
    pass


class _Declaration(Exception):
    pass


def _check_prolog(part: IO[bytes]) -> None:
    """Read an XML part up to its root element; refuse a document type declaration."""
    parser = expat.ParserCreate()

    def declaration(*_args: Any) -> None:
        raise _Declaration

    def root(*_args: Any) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = declaration
    parser.EntityDeclHandler = declaration
    parser.StartElementHandler = root
    read = 0
    while chunk := part.read(16 * 1024):
        read += len(chunk)
        try:
            parser.Parse(chunk, False)
        except _RootReached:
            return
        except _Declaration:
            raise UnsafeFile(
                _(
                    "The workbook declares a document type or entities, which spreadsheets do "
                    "not need: it is refused. Save it again from your spreadsheet program."
                )
            ) from None
        except expat.ExpatError:
            break
        if read > MAX_PROLOG_BYTES:
            break
    raise UnsafeFile(_("The file is not a readable XLSX workbook."))


# --- JSON ----------------------------------------------------------------------------------------


def load_json(data: bytes) -> Any:
    """The JSON document, once its nesting and its number of values are known to be bounded."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnsafeFile(
            _("The file is not a JSON document: %(error)s") % {"error": error}
        ) from None
    check_json_shape(data)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnsafeFile(
            _("The file is not a JSON document: %(error)s") % {"error": error}
        ) from None


def check_json_shape(data: bytes) -> None:
    """Bound nesting and values outside strings, without parsing (so without recursion), at
    the speed of bytes methods: escapes are removed (a string then holds no quote), the text
    between quotes is dropped window by window, and the depth is the running sum of the
    brackets left."""
    text = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    inside = False  # whether the window starts inside a string
    depth = deepest = values = 0
    for start in range(0, len(text), _JSON_WINDOW):
        parts = text[start : start + _JSON_WINDOW].split(b'"')
        outside = b"".join(parts[1::2] if inside else parts[0::2])
        if len(parts) % 2 == 0:  # an odd number of quotes
            inside = not inside
        values += outside.count(b",") + outside.count(b"[") + outside.count(b"{")
        steps = array("b", outside.translate(_BRACKET_STEPS, _NOT_BRACKETS))
        if steps:
            deepest = max(deepest, max(itertools.accumulate(steps, initial=depth)))
            depth += sum(steps)
        if deepest > MAX_JSON_DEPTH:
            raise UnsafeFile(
                _("The document is nested more than %(depth)d levels deep: it is refused.")
                % {"depth": MAX_JSON_DEPTH}
            )
        if values > MAX_JSON_VALUES:
            raise UnsafeFile(
                _("The document holds more than %(count)d values: split it.")
                % {"count": MAX_JSON_VALUES}
            )
