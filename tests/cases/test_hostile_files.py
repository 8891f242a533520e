"""Hostile import files, built here: each is refused with a clear message (400 on the web, exit 1
from the command line) in bounded memory, before it is unpacked or parsed."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from amparo.cases.exchange import files, huridocs, sheet_reader, tabular
from amparo.cases.models import Event
from amparo.core.services import DomainError
from tests.cases.conftest import sign_in
from tests.cases.exchange import documentalist, organisation_of

pytestmark = pytest.mark.django_db

MEGABYTE = 1024 * 1024
# What reading a refused file may cost at most: the file itself is not counted (it is built
# before the measure starts).
MEMORY_BOUND = 16 * MEGABYTE
SHARED_STRINGS = "xl/sharedStrings.xml"


def _workbook() -> dict[str, bytes]:
    """The parts of a small valid workbook whose cells are shared strings."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["event_id", "event_title"])
    sheet.append(["EV-1", "A title"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes | Callable[[Any], None]]) -> bytes:
    """A zip of the parts; a callable part writes itself in pieces (a bomb is never whole in
    memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            if callable(content):
                with archive.open(name, "w", force_zip64=False) as part:
                    content(part)
            else:
                archive.writestr(name, content)
    return out.getvalue()


def zip_bomb(inflated: int = 400 * MEGABYTE) -> bytes:
    """A workbook of a few hundred kilobytes whose one shared string inflates to `inflated`
    bytes: openpyxl keeps shared strings in memory."""

    def strings(part: Any) -> None:
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        part.write(b"<si><t>")
        chunk = b"a" * MEGABYTE
        for _ in range(inflated // MEGABYTE):
            part.write(chunk)
        part.write(b"</t></si><si><t>A title</t></si><si><t>EV-1</t></si></sst>")

    return _zip({**_workbook(), SHARED_STRINGS: strings})


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    strings = (
        '<?xml version="1.0"?><!DOCTYPE sst [' + "".join(entities) + "]>"
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>&lol9;</t></si><si><t>A</t></si></sst>"
    )
    return _zip({**_workbook(), SHARED_STRINGS: strings.encode()})


def external_entity(secret: Path) -> bytes:
    strings = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>&xxe;</t></si><si><t>A</t></si></sst>"
    )
    return _zip({**_workbook(), SHARED_STRINGS: strings.encode()})


def far_cell(row: int = 1_048_576, column: int = 16_384) -> bytes:
    """A valid workbook of a few kilobytes with one more value, far below and to the right:
    the sheet then spans every cell between A1 and it (XFD1048576: 17 billion)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["event_id", "event_title"])
    sheet.append(["EV-1", "A title"])
    sheet.cell(row=row, column=column, value="far")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def many_parts() -> bytes:
    return _zip({**_workbook(), **{f"xl/media/{i}.bin": b"" for i in range(5000)}})


def deeply_nested(depth: int = 100_000) -> bytes:
    document = json.dumps({"format": huridocs.DOCUMENT_FORMAT, "event": []})
    return document[:-2].encode() + b"[" * depth + b"]" * depth + b"}"


def too_many_values() -> bytes:
    values = b",".join([b"0"] * (files.MAX_JSON_VALUES + 1))
    return b'{"format": "huridocs-esf", "event": [], "x": [' + values + b"]}"


@pytest.fixture
def peak_memory() -> Iterator[Callable[[Callable[[], object]], int]]:
    def measure(work: Callable[[], object]) -> int:
        tracemalloc.start()
        try:
            work()
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return peak

    yield measure


HOSTILE_WORKBOOKS = {
    "zip bomb": (zip_bomb, "compression bomb"),
    "billion laughs": (billion_laughs, "document type"),
    "many parts": (many_parts, "more than 1000 parts"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_WORKBOOKS))
def test_a_hostile_workbook_is_refused_in_bounded_memory(
    kind: str, peak_memory: Callable[[Callable[[], object]], int]
) -> None:
    build, message = HOSTILE_WORKBOOKS[kind]
    data = build()
    refusal: list[DomainError] = []

    def read() -> None:
        try:
            tabular.read_table(data, "cases.xlsx")
        except DomainError as error:
            refusal.append(error)

    peak = peak_memory(read)

    assert refusal and message in str(refusal[0])
    assert peak < MEMORY_BOUND, f"{peak // MEGABYTE} MB"


@pytest.mark.parametrize("row,column", [(1_048_576, 16_384), (100_000, 16_384)])
def test_a_value_far_from_the_table_is_refused_without_reading_the_cells_between(
    row: int, column: int
) -> None:
    # The reader sizes the sheet from A1 to the farthest value: 512 GiB at once for XFD1048576,
    # which ends the process that asks. It reads in a process of its own, limited, so the file
    # is refused here. openpyxl, before, walked the empty cells: 34 s of CPU for row 100,000.
    data = far_cell(row, column)
    assert len(data) < 10_000
    with pytest.raises(DomainError, match="too large to read"):
        tabular.read_table(data, "cases.xlsx")


def test_the_reading_process_gets_none_of_the_servers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AMPARO_SECRET_KEY", "the server's secret")
    seen: list[dict[str, str]] = []
    run = subprocess.run

    def spy(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        seen.append(kwargs["env"])
        return run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    table = tabular.read_table(far_cell(3, 2), "cases.xlsx")

    assert [row for _number, row in table.rows] == [
        {"event_id": "EV-1", "event_title": "A title"},
        {"event_title": "far"},
    ]
    assert seen and all(set(env) == {"PYTHONPATH"} for env in seen)


def test_the_reading_process_reads_under_a_memory_limit_lower_than_its_own() -> None:
    # A system (a container, a service manager) that allows less than the reader asks for:
    # asking for more would fail, and every workbook with it.
    below = sheet_reader.MEMORY_BYTES - 1024**3
    limited = (
        "import resource, runpy; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({below}, {below})); "
        f"runpy.run_module({sheet_reader.__name__!r}, run_name='__main__')"
    )
    reading = subprocess.run(
        [sys.executable, "-c", limited], input=far_cell(3, 2), capture_output=True, check=False
    )
    assert reading.returncode == 0, reading.stderr
    assert json.loads(reading.stdout) == [
        ["event_id", "event_title"],
        ["EV-1", "A title"],
        ["", "far"],
    ]


@pytest.mark.parametrize(
    "answer",
    [
        pickle.dumps(["a pickle, which unpacking would run"]),
        b"not json",
        b'{"a": "dict"}',
        b"[[1, 2]]",
        b'[["text", ["nested"]]]',
    ],
)
def test_a_reading_process_that_answers_anything_but_rows_of_text_only_fails_the_file(
    monkeypatch: pytest.MonkeyPatch, answer: bytes
) -> None:
    """The process reads what anyone sent: should a hostile file ever take it over, what it
    answers is read as JSON and checked, never unpacked into anything else."""

    def answering(arguments: Any, **_options: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(arguments, 0, stdout=answer, stderr=b"")

    monkeypatch.setattr(subprocess, "run", answering)
    with pytest.raises(DomainError, match="not a readable XLSX workbook"):
        tabular.read_table(far_cell(3, 2), "cases.xlsx")


def test_an_external_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's secret")
    with pytest.raises(DomainError, match="document type") as refusal:
        tabular.read_table(external_entity(secret), "cases.xlsx")
    assert "secret" not in str(refusal.value)


@pytest.mark.parametrize(
    "build,message",
    [(deeply_nested, "nested more than 32 levels"), (too_many_values, "more than 2000000 values")],
)
def test_a_hostile_json_document_is_refused_in_bounded_memory(
    build: Callable[[], bytes], message: str, peak_memory: Callable[[Callable[[], object]], int]
) -> None:
    data = build()
    refusal: list[DomainError] = []

    def read() -> None:
        try:
            huridocs.read_document(data)
        except DomainError as error:
            refusal.append(error)

    peak = peak_memory(read)

    assert refusal and message in str(refusal[0])
    assert peak < 4 * len(data) + MEMORY_BOUND, f"{peak // MEGABYTE} MB"


def test_strings_may_hold_brackets_quotes_and_escapes() -> None:
    document = {
        "format": huridocs.DOCUMENT_FORMAT,
        "event": [{"event_record_number": 'E-1 [[[{{ "\\', "event_title": ']]]} \\\\ "'}],
    }
    files.check_json_shape(json.dumps(document).encode())


@pytest.mark.parametrize(
    "record",
    [
        {"event_record_number": "E-1", "x_amparo": ["a list"]},
        {"event_record_number": "E-1", "event_title": {"an": "object"}},
        {"event_record_number": "E-1", "geographical_term": "not a list"},
        {"event_record_number": "E-1", "geographical_term": [["nested"]]},
        {"event_record_number": "E-1", "x_amparo": {"country": {"deeper": 1}}},
    ],
)
def test_a_record_of_the_wrong_shape_is_refused_by_field(record: dict[str, Any]) -> None:
    document = {"format": huridocs.DOCUMENT_FORMAT, "event": [record]}
    with pytest.raises(DomainError, match="Record E-1 of “event”: the field"):
        huridocs.read_document(json.dumps(document).encode())


def test_a_record_of_the_wrong_shape_is_refused_by_field_inside_addresses() -> None:
    document = {
        "format": huridocs.DOCUMENT_FORMAT,
        "person": [{"person_record_number": "P-1", "person_addresses": ["a string"]}],
    }
    with pytest.raises(DomainError, match="the field “person_addresses”"):
        huridocs.read_document(json.dumps(document).encode())


def test_a_wide_table_is_refused_before_its_rows_are_read() -> None:
    header = ",".join(f"column_{i}" for i in range(10_000))
    with pytest.raises(DomainError, match="more than"):
        tabular.read_table((header + "\n" + "x," * 10_000).encode(), "cases.csv")


HOSTILE_UPLOADS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "zip bomb": (lambda: zip_bomb(150 * MEGABYTE), "cases.xlsx", "table"),
    "billion laughs": (billion_laughs, "cases.xlsx", "table"),
    "far cell": (far_cell, "cases.xlsx", "table"),
    "deeply nested": (deeply_nested, "cases.json", "huridocs"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_UPLOADS))
def test_a_hostile_upload_gets_a_clear_400(client: Client, kind: str) -> None:
    build, name, fmt = HOSTILE_UPLOADS[kind]
    user = documentalist()
    sign_in(client, user)

    response = client.post(
        reverse("cases_exchange:import"),
        {
            "organisation": organisation_of(user).pk,
            "kind": fmt,
            "file": SimpleUploadedFile(name, build()),
        },
    )

    assert response.status_code == 400
    assert b'class="errorlist' in response.content
    assert not Event.objects.exists()


@pytest.mark.usefixtures("command_password")
@pytest.mark.parametrize("kind", sorted(HOSTILE_UPLOADS))
def test_a_hostile_file_makes_the_command_fail_with_its_message(tmp_path: Path, kind: str) -> None:
    build, name, _fmt = HOSTILE_UPLOADS[kind]
    user = documentalist()
    path = tmp_path / name
    path.write_bytes(build())

    with pytest.raises(CommandError) as failure:
        call_command(
            "import-cases",
            str(path),
            organisation=organisation_of(user).short_code,
            as_user=user.username,
        )

    assert failure.value.returncode == 1
    assert str(failure.value)
    assert not Event.objects.exists()
