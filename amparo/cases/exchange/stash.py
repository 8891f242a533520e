"""An uploaded import file between its upload and its import (preview, confirmation, the job):
encrypted on disk (it names people) for the user who uploaded it, deleted once imported or
after an hour."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings

from amparo.core import crypto
from amparo.core.models import User
from amparo.core.private_files import private_directory, write_private_text

STASH_SECONDS = 3600


def _stash_dir() -> Path:
    return private_directory(Path(settings.VAR_DIR) / "imports")


def _purpose(user: User) -> str:
    return f"cases.import_upload.{user.pk}"


def stash(user: User, data: bytes, filename: str) -> str:
    directory = _stash_dir()
    for old in directory.glob("*.upload"):
        if old.stat().st_mtime < time.time() - STASH_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    payload = filename.encode()[:200] + b"\0" + data
    path = directory / f"{token}.upload"
    write_private_text(path, crypto.encrypt(payload, _purpose(user)))
    return token


def unstash(user: User, token: str) -> tuple[bytes, str] | None:
    if not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = _stash_dir() / f"{token}.upload"
    try:
        payload = crypto.decrypt(path.read_text(), _purpose(user))
    except (OSError, crypto.CryptoError):
        return None
    filename, _sep, data = payload.partition(b"\0")
    return data, filename.decode(errors="replace")


def discard(token: str) -> None:
    (_stash_dir() / f"{token}.upload").unlink(missing_ok=True)
