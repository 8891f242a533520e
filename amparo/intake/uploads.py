"""Reading a public form's body: nothing of a file is kept before the form is let in, and then
only in memory, within the limits.

The view first refuses a body larger than conf.MAX_REQUEST_BYTES from its Content-Length alone,
before reading any of it (Django never reads past that length). The body is then parsed here,
field by field. A browser sends a form's fields in the page's order, and the token and the proof
of work come first, so when the first file begins every field before it is known: the `gate`
(the form's token, proof of work or budget, see services.admission) is asked then, before a
single byte of the file is stored. If it refuses, the rest of the body is read and thrown away
in small chunks, and the view answers with the reason. So a forged or replayed form costs the
server the reading of its body, never its size in memory.

Django writes uploads above 2.5 MB to temporary files, which would leave the reporter's
unencrypted files on the server's disk, where deleting a file does not erase it. This handler
keeps each file in memory instead, stops storing a file as soon as it passes the size limit
(the rest of the request is still read, so the other answers and files can be checked and the
reporter told which file was refused), and ignores files beyond the allowed number.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from amparo.intake import conf, sanitise
from amparo.intake.services.attachments import Upload

# Lets a form in, given the fields before its first file, or raises the reason it may not.
Gate = Callable[[QueryDict], None]


@dataclass
class Body:
    post: QueryDict
    files: MultiValueDict[str, UploadedFile]
    # One message per file refused while reading (too large, too many).
    rejected: list[str] = field(default_factory=list)
    # What the gate raised, if it refused the form; `post` then holds the fields before the
    # first file, and `files` nothing.
    refusal: Exception | None = None

    def uploads(self, name: str = "files") -> Iterator[Upload]:
        """Each file as bytes, read when asked for and released from the body then."""
        for item in self.files.getlist(name):
            try:
                yield Upload(name=item.name or "", data=item.read())
            finally:
                item.close()


class _Chunks:
    """The request's body, read in chunks: Django's parser throws away what it does not parse
    by iterating over its input, which for the request itself means line by line, and a file
    without line breaks would be one line held whole in memory."""

    SIZE = 64 * 1024

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def read(self, size: int = -1) -> bytes:
        return self.request.read(size)

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.request.read(self.SIZE), b"")


class _Parser(MultiPartParser):
    """Django's parser, showing its handler the fields read so far."""

    _post: QueryDict  # set by MultiPartParser._parse before the first file

    def __init__(self, *args: Any, handler: BoundedMemoryUploadHandler, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handler.fields_so_far = lambda: self._post


class BoundedMemoryUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest, gate: Gate) -> None:
        super().__init__(request)
        self.gate = gate
        self.passed = False
        self.refusal: Exception | None = None
        self.fields_so_far: Callable[[], QueryDict] = lambda: QueryDict()
        self.count = 0
        self.rejected: list[str] = []
        self._buffer: io.BytesIO | None = None
        self._size = 0

    def let_in(self, fields: QueryDict) -> None:
        """Ask the gate once; remember its refusal."""
        if self.passed or self.refusal is not None:
            return
        try:
            self.gate(fields)
        except Exception as refusal:
            self.refusal = refusal
        else:
            self.passed = True

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.let_in(self.fields_so_far())
        if self.refusal is not None:
            # Read the rest of the body and throw it away, so the browser gets the answer.
            raise StopUpload(connection_reset=False)
        self.count += 1
        self._size = 0
        self._buffer = io.BytesIO() if self.count <= conf.MAX_FILES else None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._size += len(raw_data)
        if self._buffer is not None:
            if self._size > conf.MAX_FILE_BYTES:
                self._buffer = None
            else:
                self._buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        name = sanitise.display_name(self.file_name or "")
        if self.count > conf.MAX_FILES:
            if self.count == conf.MAX_FILES + 1:
                self.rejected.append(
                    _("You can send at most %(count)d files at a time; the others were left out.")
                    % {"count": conf.MAX_FILES}
                )
            return None
        if self._buffer is None:
            self.rejected.append(
                _("“%(name)s” is larger than %(size)d MB.")
                % {"name": name, "size": conf.MAX_FILE_BYTES // (1024 * 1024)}
            )
            return None
        self._buffer.seek(0)
        uploaded = InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        self._buffer = None
        return uploaded


def read(request: HttpRequest, gate: Gate) -> Body:
    """The parsed body, its files kept in memory only once `gate` let the form in (see Body).

    MultiPartParserError (and Django's SuspiciousOperation subclasses) for a body that cannot
    be read."""
    handler = BoundedMemoryUploadHandler(request, gate)
    if request.content_type == "multipart/form-data":
        parser = _Parser(
            request.META, _Chunks(request), [handler], request.encoding, handler=handler
        )
        post, files = parser.parse()
    else:
        post, files = request.POST, MultiValueDict()
    handler.let_in(post)
    return Body(post=post, files=files, rejected=handler.rejected, refusal=handler.refusal)
