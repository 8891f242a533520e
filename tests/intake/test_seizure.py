"""Issue 16's promise for the intake channel: a seized server reveals nothing.

Reports (one with a file) arrive while nobody is signed in; a focal point signs in through the
real login view, reads them and answers; everyone signs out. Then every file of the instance is
copied (the SQLite database with its journal, the key ring, everything under the var
directory) and attacked: the plaintexts are searched for in the raw bytes, and every key of the
ring (and what the code derives from it) is tried on every sealed value, data key copy, grant and
personal key. Nothing opens. With one member signed in and their browser's keys cookie in hand,
their organisation's reports open, and the other organisation's do not.

The test holds no key itself (`only_real_keys`) and commits for real (`transaction=True`), so the
database file holds what a running server's would.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.urls import reverse

from amparo.core import crypto, keychain, sealing, services
from amparo.core.models import Organisation, Role, User
from amparo.intake.models import Submission
from tests.core.test_accounts import current_code
from tests.factories import PASSWORD, TOTPDeviceFactory, UserFactory
from tests.intake.test_follow_up import open_report, reply
from tests.intake.test_report import post_report, receipt_in, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.only_real_keys]

REPORT_TEXT = "Soldiers of the 7th battalion beat Juana Quispe Mamani at the Tambo market"
VICTIM = "Juana Quispe Mamani"
CONTACT = "+591 7123 4567 (Signal)"
FILE_NAME = "denuncia-juana.txt"
FILE_TEXT = b"Testimony of the market vendors about the beating of Juana, 3 March"
OTHER_TEXT = "A journalist in Cobija receives death threats from a local official"
REPLY = "We received your report. Reply here with the names of the witnesses."
NOTE = "Witness Pedro Condori lives behind the Tambo market"
REPORTER_MESSAGE = "The witnesses are Pedro Condori and Rosa Huanca"

PLAINTEXTS = [REPORT_TEXT, VICTIM, CONTACT, FILE_NAME, REPLY, NOTE, REPORTER_MESSAGE, OTHER_TEXT]


@pytest.fixture
def world(settings: Any) -> dict[str, Any]:
    receiving = services.create_organisation(
        None, name="Defensoría del Pueblo", short_code="NHRI-T", kind=Organisation.Kind.NHRI
    )
    other = services.create_organisation(
        None, name="Other Commission", short_code="OTHER-T", kind=Organisation.Kind.NHRI
    )
    focal = UserFactory(username="focal")
    outsider = UserFactory(username="outsider")
    services.add_member(
        None, user=focal, organisation=receiving, role=Role.FOCAL_POINT, clearance=2
    )
    services.add_member(None, user=outsider, organisation=other, role=Role.FOCAL_POINT, clearance=2)
    for user in (focal, outsider):
        TOTPDeviceFactory(user=user)
    return {"receiving": receiving, "other": other, "focal": focal, "outsider": outsider}


def log_in(client: Client, user: User) -> None:
    device = user.totpdevice_set.get()
    response = client.post(
        reverse("core:login"),
        {"username": user.username, "password": PASSWORD, "otp_token": current_code(device)},
    )
    assert response.status_code == 302, response.content.decode()


def send_reports(settings: Any) -> str:
    """Two reports sent by anonymous reporters: one to each organisation. The receipt of the
    first."""
    reporter = Client()
    response = post_report(
        reporter,
        what_happened=REPORT_TEXT,
        victim_name=VICTIM,
        contact_method="messaging",
        contact_details=CONTACT,
        files=[upload(FILE_NAME, FILE_TEXT)],
    )
    assert response.status_code == 200
    receipt = receipt_in(response)
    settings.AMPARO_INTAKE_ORGANISATION = "OTHER-T"
    assert post_report(Client(), what_happened=OTHER_TEXT).status_code == 200
    settings.AMPARO_INTAKE_ORGANISATION = "NHRI-T"
    return receipt


def reporter_writes_back(receipt: str) -> str:
    """The reporter comes back with the receipt, reads the reply and answers; their page."""
    reporter = Client()
    page = open_report(reporter, receipt)
    assert REPLY in page.content.decode()
    response = reply(reporter, page, body=REPORTER_MESSAGE)
    assert response.status_code == 200
    return str(response.content.decode())


def copy_everything(target: Path) -> tuple[Path, list[Path]]:
    """Every file the instance has: the database (and journal), the key ring, the var dir; and
    which of them is the database."""
    database, copied = _copy_database(target)
    for path in [Path(settings.AMPARO_KEY_FILE), *Path(settings.VAR_DIR).rglob("*")]:
        if path.is_file():
            copied.append(Path(shutil.copy(path, target / f"{len(copied)}-{path.name}")))
    return database, copied


def _copy_database(target: Path) -> tuple[Path, list[Path]]:
    """SQLite's file and journal, as a seized, powered-off server leaves them (checkpointed or
    not); PostgreSQL's tables, every row, exported to an SQLite file (what its data directory
    yields to whoever reads it), so that the same attack reads both."""
    if connection.vendor == "sqlite":
        source = Path(settings.DATABASES["default"]["TEST"]["NAME"])
        connection.close()
        copied = [
            Path(shutil.copy(path, target / f"{index}-{path.name}"))
            for index, path in enumerate(sorted(source.parent.glob(source.name + "*")))
        ]
        return copied[0], copied
    export = target / "database.sqlite3"
    with sqlite3.connect(export) as db, connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            names = [column.name for column in cursor.description]
            columns = ", ".join(f'"{name}"' for name in names)
            db.execute(f'CREATE TABLE "{table}" ({columns})')
            db.executemany(
                f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(names))})',
                [[_as_stored(value) for value in row] for row in cursor.fetchall()],
            )
    connection.close()
    return export, [export]


def _as_stored(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def stored_values(database: Path) -> Iterator[tuple[str, str, Any]]:
    """Every value of every column of every table of the copied database."""
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    if value is not None:
                        yield table, name, value


def candidate_keys(ring: crypto.KeyRing) -> list[bytes]:
    """Every key the attacker can take from the key file, and what the code derives from it."""
    keys = [key.secret for key in ring.keys.values()]
    for purpose in ("core.organisation_key.custody",):
        keys.append(bytes.fromhex(ring.keyed_digest("organisation keys in custody", purpose)))
    return keys


def opened_data_keys(database: Path, candidates: list[bytes]) -> dict[uuid.UUID, bytes]:
    """The data keys of the copied database that any of `candidates` opens, as a private or a
    symmetric key."""
    data_keys: dict[uuid.UUID, bytes] = {}
    with sqlite3.connect(database) as db:
        copies = db.execute("SELECT data_key_id, sealed FROM core_datakeycopy")
        for data_key_id, sealed in copies:
            key_id = (
                uuid.UUID(hex=data_key_id) if len(data_key_id) == 32 else uuid.UUID(data_key_id)
            )
            aad = b"amparo data key:" + key_id.bytes
            for candidate in candidates:
                try:
                    data_keys[key_id] = sealing.open_sealed(candidate, sealed, aad)
                except sealing.SealingError:
                    continue
    return data_keys


def attack(
    database: Path,
    ring: crypto.KeyRing,
    extra: keychain.Keychain,
    plaintexts: list[str] = PLAINTEXTS,
) -> set[str]:
    """What the attacker reads: every one of `plaintexts` that any key they hold opens."""
    keys = candidate_keys(ring)
    opened: list[str] = []
    values = list(stored_values(database))
    data_keys = opened_data_keys(
        database, [*keys, *extra.organisation_keys.values(), *extra.personal_keys.values()]
    )
    with sqlite3.connect(database) as db:
        # A level's key that no member may hold yet stays in the server's custody (here: the
        # strictly confidential ones), but no report is sealed to such a key.
        (sealed_to_custody,) = db.execute(
            "SELECT count(*) FROM core_datakeycopy JOIN core_organisationkey"
            " ON core_organisationkey.id = core_datakeycopy.organisation_key_id"
            " WHERE core_organisationkey.server_custody IS NOT NULL"
        ).fetchone()
        assert sealed_to_custody == 0
    for table, column, value in values:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        for token in re.findall(r"amp[12]:[0-9a-z-]+:[A-Za-z0-9_-]+", text):
            purpose = f"{table.replace('_', '.', 1)}.{column}"
            if token.startswith("amp1:"):
                with contextlib.suppress(crypto.CryptoError):
                    opened.append(ring.decrypt(token, purpose).decode())
                continue
            data_key_id = sealing.data_key_id_of(token)
            candidates = [data_keys[data_key_id]] if data_key_id in data_keys else []
            for candidate in candidates + keys:
                try:
                    opened.append(sealing.decrypt_field(candidate, token, purpose))
                except (sealing.SealingError, ValueError):
                    continue
    # Attachments: the file key is itself a sealed value; the blob opens only with it.
    return {text for text in plaintexts if any(text in found for found in opened)}


def seize_while_signed_in(
    client: Client, user: User, tmp_path: Path
) -> tuple[Path, crypto.KeyRing, keychain.Keychain, keychain.Keychain]:
    """Copy everything while `user` is signed in with `client`: the copied database, the key
    ring, and what their session row opens without and with their browser's keys cookie."""
    cookie = client.cookies[keychain.COOKIE_NAME].value
    session_key = client.session.session_key
    assert session_key is not None
    seized = tmp_path / "seized"
    seized.mkdir()
    database, _files = copy_everything(seized)
    ring = crypto.load_keyring(Path(settings.AMPARO_KEY_FILE))
    nothing, held = session_keychains(database, session_key, user, cookie)
    return database, ring, nothing, held


def session_keychains(
    database: Path, session_key: str, user: User, cookie: str
) -> tuple[keychain.Keychain, keychain.Keychain]:
    """What the member's session row in the copied database opens: without their browser's
    keys cookie, and with it (the attacker holds the server's SECRET_KEY too)."""
    with sqlite3.connect(database) as db:
        (data,) = db.execute(
            "SELECT session_data FROM django_session WHERE session_key = ?", [session_key]
        ).fetchone()
    store = SessionStore()
    store.update(store.decode(data))
    user.refresh_from_db()
    without = keychain.from_session(store, "", user_id=user.pk, generation=user.session_generation)
    held = keychain.from_session(store, cookie, user_id=user.pk, generation=user.session_generation)
    return without, held


def raw_bytes(paths: list[Path]) -> bytes:
    return b"".join(path.read_bytes() for path in paths)


def seize_while_nobody_is_signed_in(
    tmp_path: Path, plaintexts: list[str] = PLAINTEXTS
) -> tuple[Path, crypto.KeyRing]:
    """Copy every file of the instance, as an attacker would once everyone signed out, and
    check that none of `plaintexts` is in their bytes nor opens with any key of the ring; the
    copied database and the ring, for further attacks."""
    seized = tmp_path / "seized"
    seized.mkdir()
    database, files = copy_everything(seized)
    everything = raw_bytes(files)
    for text in plaintexts:
        assert text.encode() not in everything, text
    ring = crypto.load_keyring(Path(settings.AMPARO_KEY_FILE))
    assert attack(database, ring, keychain.Keychain(), plaintexts) == set()
    return database, ring


def test_a_seized_server_reveals_no_report_while_nobody_is_signed_in(
    world: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    receipt = send_reports(settings)
    focal = Client()
    log_in(focal, world["focal"])
    submission = Submission.objects.get(organisation=world["receiving"])
    detail = reverse("intake:detail", args=[submission.pk])
    page = focal.get(detail).content.decode()
    assert REPORT_TEXT in page and VICTIM in page and CONTACT in page and FILE_NAME in page
    for kind, text in (("reply", REPLY), ("note", NOTE)):
        response = focal.post(
            reverse(f"intake:{kind}", args=[submission.pk]), {f"{kind}-body": text}
        )
        assert response.status_code == 302
    attachment = submission.attachments.get()
    download = focal.get(reverse("intake:download", args=[submission.pk, attachment.pk]))
    assert b"".join(download.streaming_content if download.streaming else [download.content]) == (
        FILE_TEXT
    )
    assert "Locked" not in focal.get(detail).content.decode()
    focal.post(reverse("core:logout"))
    reporter_page = reporter_writes_back(receipt)
    assert REPORTER_MESSAGE in reporter_page

    seize_while_nobody_is_signed_in(tmp_path, [*PLAINTEXTS, FILE_TEXT.decode()])


def test_with_one_member_signed_in_only_their_organisation_s_reports_open(
    world: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    send_reports(settings)
    focal = Client()
    log_in(focal, world["focal"])
    database, ring, nothing, held = seize_while_signed_in(focal, world["focal"], tmp_path)
    # Without the cookie the session row opens nothing ...
    assert attack(database, ring, nothing) == set()
    # ... with it, the member's own organisation's report opens, and only that.
    assert held.organisation_keys
    revealed = attack(database, ring, held)
    assert REPORT_TEXT in revealed and VICTIM in revealed and FILE_NAME in revealed
    assert OTHER_TEXT not in revealed
