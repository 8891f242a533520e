"""Uploaded files stay in memory, within a size limit: none is ever written to disk in clear.

Django's default handlers write a file above 2.5 MB to the temporary directory, where it stays
readable, and survives a worker killed mid-request (an import file names the people it is
about). This handler, the only one in FILE_UPLOAD_HANDLERS, keeps every file of a request in
memory and refuses, before reading the body, a request whose declared size is above
AMPARO_UPLOAD_MAX_BYTES (plus room for the other fields), and, while reading it, files that
together pass the limit (a body sent without its size). A refusal raises RequestDataTooBig,
which Django answers with 400; views that take files check the declared size first
(`too_large`) to answer with their own page and a clear message. The intake channel installs a
handler of its own with its own limits (amparo/intake/uploads.py).
"""

from __future__ import annotations

import io
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

# What a form sends besides its file: the other fields, the boundaries, the part headers.
FORM_OVERHEAD_BYTES = 256 * 1024


def max_file_bytes() -> int:
    return int(settings.AMPARO_UPLOAD_MAX_BYTES)


def too_large(request: HttpRequest) -> bool:
    """Whether the request says it is larger than a form with the largest allowed file.
    Read before anything touches request.POST or request.FILES: the body is then never read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # the body's own size is checked as it is read
    return length > max_file_bytes() + FORM_OVERHEAD_BYTES


class MemoryOnlyUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self._buffer = io.BytesIO()
        self._received = 0  # file bytes of the whole request

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > max_file_bytes() + FORM_OVERHEAD_BYTES:
            raise RequestDataTooBig("The upload is larger than AMPARO_UPLOAD_MAX_BYTES.")

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._received += len(raw_data)
        if self._received > max_file_bytes():
            self._buffer = io.BytesIO()
            raise RequestDataTooBig("The upload is larger than AMPARO_UPLOAD_MAX_BYTES.")
        self._buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
