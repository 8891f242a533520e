"""Files and directories that only the account running Amparo may read, whatever the umask.

The SQLite database, its -wal and -shm files, var/ and var/demo/, the key file, the audit
anchor and the import previews hold identities or the keys to them. A umask of 022 (the usual
default) would leave them readable by every account on the machine, and one of 000 writable too,
so modes are set explicitly: 0700 for directories, 0600 for files. A file is created with its
final mode in the same system call, never created first and tightened later.

Existing files and directories that are looser (an installation made before these rules) are
tightened when Amparo next touches them. Tightening is best effort: a path owned by another
account (a directory an administrator chose and owns) is left as it is, with a warning.

Only the standard library is imported: config.settings uses this module before Django is set up.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def create_private_directory(path: Path) -> None:
    """Create `path` and any missing parents with mode 0700; existing ones are left alone."""
    missing = []
    for directory in (path, *path.parents):
        if directory.exists():
            break
        missing.append(directory)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIRECTORY_MODE)
        except FileExistsError:  # another process made it meanwhile
            continue
        # mkdir's mode passes through the umask; chmod's does not.
        directory.chmod(DIRECTORY_MODE)


def private_directory(path: Path) -> Path:
    """`path` as a directory readable by its owner only: created, or tightened to 0700."""
    create_private_directory(path)
    tighten(path, DIRECTORY_MODE)
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists (then tighten it). True if created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path, FILE_MODE)
        return False
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return True


def write_private_text(path: Path, text: str) -> None:
    """Write a small file that only its owner may read, created with that mode."""
    create_private_file(path)
    path.write_text(text, encoding="utf-8")


def tighten(path: Path, mode: int) -> None:
    """Take away every permission of group and others from an existing path."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if not current & (stat.S_IRWXG | stat.S_IRWXO):
        return
    try:
        path.chmod(mode)
    except PermissionError:
        logger.warning(
            "%s can be read by other accounts and is not ours to change; run chmod %o on it.",
            path,
            mode,
        )


def private_sqlite_database(path: Path) -> None:
    """Before SQLite opens `path`: the file exists with mode 0600, so that the -wal and -shm
    files SQLite creates beside it take the same mode (SQLite copies the database file's), and
    any that exist from before are tightened."""
    create_private_directory(path.parent)
    create_private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix), FILE_MODE)
