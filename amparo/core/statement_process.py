"""A process that writes prepared INSERTs (`bulk_insert.Statement`), batch after batch, while the
process that sent them prepares the next: an import seals on one core while the database
writes on the other.

It is a new interpreter (`python -m amparo.core.statement_process`), not a fork: it starts
with none of the sender's memory (no key, no plaintext, no lock another thread held) and
receives only what the database receives, every confidential value already sealed. It sets
Django up itself, with the sender's settings module and database settings (a test database's
name is only known to the sender). Batches and answers are pickled over its standard input
and output, between two processes of the same program.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amparo.core.bulk_insert import Statement

_SOURCE = str(Path(__file__).resolve().parents[2])  # where the amparo package is
_LENGTH = struct.Struct("!Q")  # before each message, its length


class StatementProcess:
    """`write(statements)` hands a batch to the process, which runs it in one transaction;
    `written()` waits until it has (raising what made it fail). At most one batch waits."""

    def __init__(self, database: str = "default") -> None:
        from django.conf import ENVIRONMENT_VARIABLE, settings
        from django.db import connections

        environment = {
            **os.environ,
            # The module's name (settings overridden for a test have none).
            ENVIRONMENT_VARIABLE: os.environ.get(ENVIRONMENT_VARIABLE) or settings.SETTINGS_MODULE,
            "PYTHONPATH": os.pathsep.join([_SOURCE, *map(str, sys.path)]),
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "amparo.core.statement_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
        )
        self._pending = False
        self._used = False  # whether a batch was ever sent
        self._send((database, dict(connections[database].settings_dict)))

    def write(self, statements: Sequence[Statement]) -> None:
        self.write_pickled(pickled(list(statements)))

    def write_pickled(self, batch: bytes) -> None:
        """`write` for a batch pickled already (`pickled`), by this process or another that
        sealed it (an import's helper): passed on as it is."""
        self.written()
        self._send_pickled(batch)
        self._pending = self._used = True

    def written(self) -> bool:
        """Wait for the batch sent last, if any: True if there was one."""
        if not self._pending:
            return False
        self._pending = False
        assert self._process.stdout is not None
        try:
            answer = get(self._process.stdout)
        except EOFError:
            raise RuntimeError("The process writing the batches stopped.") from None
        if isinstance(answer, BaseException):
            raise answer
        return True

    def close(self) -> None:
        """Wait for the batch sent last (its error, if any, is the caller's to raise first)
        and end the process."""
        if self._process.returncode is not None:
            return  # closed already
        if not self._used:
            self._process.kill()  # it may still be starting, and has nothing to write
        try:
            with suppress(Exception):
                self.written()
            with suppress(OSError, RuntimeError, ValueError):
                self._send(None)
        finally:
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    with suppress(OSError):
                        stream.close()
            self._process.wait()

    def _send(self, message: Any) -> None:
        self._send_pickled(pickled(message))

    def _send_pickled(self, message: bytes) -> None:
        assert self._process.stdin is not None
        try:
            put_pickled(self._process.stdin, message)
        except BrokenPipeError:
            raise RuntimeError("The process writing the batches stopped.") from None


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Each batch in a transaction, answered with True, or with what went wrong (and then no
    more)."""
    import django

    django.setup()
    from django.db import connections, transaction

    database, settings = get(requests)
    connections[database].settings_dict.update(settings)
    try:
        while (statements := get(requests)) is not None:
            try:
                with transaction.atomic(using=database):
                    for statement in statements:
                        statement.run(database)
            except Exception as error:
                put(answers, _sendable(error))
                break
            put(answers, True)
    except EOFError:
        pass  # the sender ended
    finally:
        connections.close_all()


def pickled(message: Any) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def put(stream: IO[bytes], message: Any) -> None:
    """Pickled whole first, then written at once with its length: the reader takes it in one
    read, and the writer does not wait while it is unpickled bit by bit."""
    put_pickled(stream, pickled(message))


def put_pickled(stream: IO[bytes], data: bytes) -> None:
    """`put` for a message pickled already (`pickled`)."""
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def get(stream: IO[bytes]) -> Any:
    """What `put` wrote (EOFError if the stream ended)."""
    header = _read(stream, _LENGTH.size)
    return pickle.loads(_read(stream, _LENGTH.unpack(header)[0]))  # noqa: S301 - our own process's


def _read(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return data


def _sendable(error: Exception) -> Exception:
    """The error itself if it survives pickling (an IntegrityError the importer reports), else
    what it says."""
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, just made
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


if __name__ == "__main__":
    # Answers go out on what was standard output; anything printed goes to standard error.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
