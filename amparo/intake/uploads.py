"""Reading the reporter's files from the request: in memory only, within the limits.

Django writes uploads above 2.5 MB to temporary files, which would leave the reporter's
unencrypted files on the server's disk, where deleting a file does not erase it. This handler
keeps each file in memory instead, stops storing a file as soon as it passes the size limit
(the rest of the request is still read, so the other answers and files can be checked and the
reporter told which file was refused), and ignores files beyond the allowed number.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext as _

from amparo.intake import conf, sanitise
from amparo.intake.services import Upload


class BoundedMemoryUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.count = 0
        self.rejected: list[str] = []
        self._buffer: io.BytesIO | None = None
        self._size = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
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


def install(request: HttpRequest) -> BoundedMemoryUploadHandler:
    """Use only this handler for the request; call before anything reads request.POST."""
    handler = BoundedMemoryUploadHandler(request)
    request.upload_handlers = [handler]
    return handler


def uploads(request: HttpRequest, field: str = "files") -> list[Upload]:
    return [Upload(name=item.name or "", data=item.read()) for item in request.FILES.getlist(field)]
