"""Limits that hold before memory is spent: an oversize body is refused from its length, a forged
form's files are never kept, pictures are measured from their headers and decoded one at a time,
and a text file is checked from its first byte to its last. Each refusal is a page in the
reporter's language, never a server error."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.client import ClientHandler
from django.urls import reverse
from PIL import Image

from amparo.core.models import Organisation
from amparo.intake import conf, sanitise
from amparo.intake.models import Attachment, Submission
from tests.factories import intake_answers
from tests.intake.test_report import form_token, post_report, upload

REPORT = reverse("intake:report")
REPOSITORY = Path(__file__).resolve().parents[2]
BOUNDARY = "AmparoTestBoundary"
MB = 1024 * 1024


class _Generated(io.RawIOBase):
    """A request body made while it is read: parts of bytes, or (size, byte) runs of filler.
    So a test can send 200 MB without holding them, and count what the server read."""

    def __init__(self, parts: list[bytes | tuple[int, bytes]]) -> None:
        self.parts = parts
        self.index = 0
        self.offset = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.index < len(self.parts):
            part = self.parts[self.index]
            size = len(part) if isinstance(part, bytes) else part[0]
            if self.offset < size:
                count = min(len(buffer), size - self.offset)
                if isinstance(part, bytes):
                    buffer[:count] = part[self.offset : self.offset + count]
                else:
                    buffer[:count] = part[1] * count
                self.offset += count
                self.read_bytes += count
                return count
            self.index += 1
            self.offset = 0
        return 0

    @property
    def length(self) -> int:
        return sum(len(part) if isinstance(part, bytes) else part[0] for part in self.parts)


def _field(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def _file_header(name: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def _answers() -> list[bytes | tuple[int, bytes]]:
    parts: list[bytes | tuple[int, bytes]] = []
    for name, value in intake_answers().items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(_field(name, str(item)))
    return parts


def _send(body: _Generated, *, language: str, length: int | None = None) -> HttpResponse:
    """The body posted to /report/ through Django's whole request handling, middleware too."""
    environ = RequestFactory()._base_environ(
        PATH_INFO=REPORT,
        QUERY_STRING=f"lang={language}",
        REQUEST_METHOD="POST",
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.length if length is None else length),
        **{"wsgi.input": io.BufferedReader(body, 64 * 1024)},
    )
    response: HttpResponse = ClientHandler(enforce_csrf_checks=False)(environ)
    return response


def _forged_form_with_ten_large_files(token: str) -> _Generated:
    parts: list[bytes | tuple[int, bytes]] = [_field("token", token), _field("pow", "")]
    parts += _answers()
    for number in range(conf.MAX_FILES):
        parts += [_file_header(f"video{number}.jpg"), (conf.MAX_FILE_BYTES, b"\xff"), b"\r\n"]
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return _Generated(parts)


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["forged", "replayed"])
def test_a_refused_form_with_ten_20_mb_files_is_answered_without_keeping_any_of_them(
    client: Client, receiving: Organisation, token: str
) -> None:
    value = "eyJuIjoiMDAifQ:1tAAAA:forged"
    if token == "replayed":
        value = form_token(client)
        assert post_report(client, token=value).status_code == 200
    body = _forged_form_with_ten_large_files(value)
    assert body.length > 10 * conf.MAX_FILE_BYTES

    tracemalloc.start()
    try:
        response = _send(body, language="fr")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert response.status_code in {400, 409}
    assert response["Content-Language"] == "fr"
    html = response.content.decode()
    assert "Ce formulaire" in html or "déjà" in html
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB"
    assert body.read_bytes == body.length  # read to the end, so the browser gets the answer
    assert Submission.objects.count() == (1 if token == "replayed" else 0)


@pytest.mark.django_db
def test_an_oversize_body_is_refused_from_its_length_alone_in_the_reporters_language(
    receiving: Organisation,
) -> None:
    body = _Generated([(100, b"x")])
    response = _send(body, language="ar", length=conf.MAX_REQUEST_BYTES + 1)
    assert response.status_code == 413
    assert response["Content-Language"] == "ar"
    assert "ما أرسلته كبير جدًا" in response.content.decode()
    assert body.read_bytes == 0


@pytest.mark.django_db
def test_files_sent_before_the_forms_token_are_not_kept(
    client: Client, receiving: Organisation
) -> None:
    token = form_token(client)
    parts: list[bytes | tuple[int, bytes]] = [
        _file_header("first.txt"),
        (5 * MB, b"a"),
        b"\r\n",
        _field("token", token),
        *_answers(),
        f"--{BOUNDARY}--\r\n".encode(),
    ]
    tracemalloc.start()
    try:
        response = _send(_Generated(parts), language="en")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert "could not be checked" in response.content.decode()
    assert peak < 4 * MB and not Attachment.objects.exists()


@pytest.mark.django_db
def test_a_nul_byte_deep_in_a_text_file_is_found(client: Client, receiving: Organisation) -> None:
    data = b"Plate KDA 123, seen twice.\n" * 2600  # 70,200 bytes
    assert len(data) > 70_000
    hidden = data[:70_000] + b"\x00" + data[70_001:]
    assert sanitise.sniff(data) == "text/plain"
    assert sanitise.sniff(hidden) is None
    response = post_report(client, files=[upload("notes.txt", hidden)])
    assert response.status_code == 400
    assert "“notes.txt” is not a kind of file we can accept" in response.content.decode()


# --- Pictures, measured in a process of their own (Pillow's memory is not Python's) ----------

_MEASURE = """
import json, resource, sys
import django
django.setup()
from amparo.intake.services import attachments
uploads = [attachments.Upload(name, open(name, "rb").read()) for name in sys.argv[1:]]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    kept = [(item.media_type, len(item.data)) for item in attachments.prepare_files(uploads)]
    refused = []
except attachments.FilesRejected as rejected:
    kept, refused = [], rejected.reasons
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth_mb": (after - before) / 1024, "kept": kept, "refused": refused}))
"""


def _measure(paths: list[Path], tmp_path: Path) -> dict[str, Any]:
    environment = {
        **os.environ,
        "AMPARO_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_MEASURE), *map(str, paths)],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _picture(path: Path, mode: str, megapixels: float, kind: str) -> Path:
    side = int((megapixels * 1_000_000) ** 0.5)
    Image.new(mode, (side, side), (40, 90, 140, 255)[: len(mode)]).save(path, kind)
    return path


@pytest.mark.slow
def test_three_59_megapixel_pngs_are_refused_from_their_headers_without_being_decoded(
    tmp_path: Path,
) -> None:
    pictures = [_picture(tmp_path / f"bomb{n}.png", "RGBA", 59, "PNG") for n in range(3)]
    assert all(path.stat().st_size < MB for path in pictures)  # 59 MP in a few hundred kB

    result = _measure(pictures, tmp_path)

    assert len(result["refused"]) == 3 and "too many pixels" in result["refused"][0]
    assert result["growth_mb"] < 40, result


@pytest.mark.slow
def test_the_largest_photo_allowed_is_decoded_once_not_copied(tmp_path: Path) -> None:
    photo = _picture(tmp_path / "photo.jpg", "RGB", 50, "JPEG")  # a phone's largest mode
    decoded_mb = 50_000_000 * 3 / MB

    result = _measure([photo], tmp_path)

    assert result["kept"] and result["kept"][0][0] == "image/jpeg"
    assert result["growth_mb"] < 1.1 * decoded_mb, result
