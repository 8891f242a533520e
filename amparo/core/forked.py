"""A copy of this process (`os.fork`) that does half of a large piece of work on the other core,
and talks with it through two pipes: an import checks and seals half of its events in one.

Why a copy and not a new interpreter (as `statement_process` is): the half it works on needs the
import's whole state as it is (the file's records, the checks' caches, the keys the actor's
session opened), which a copy has without anything being sent; and threads would not help, as
Python's lock keeps them to one core. A copy is only made where it is safe (`possible`): by a
process with no other thread than those the copy never needs (`tolerate_thread`: another
thread's locks would stay held in the copy for ever), outside any transaction, its database
connections closed first so that each process opens its own. The copy never returns into the
caller's code: it ends with `os._exit` when its work is done.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.db import connections

from amparo.core.statement_process import get, put


@dataclass(frozen=True)
class _Failed:
    """What the copy sends when its work raised."""

    reason: str


# Names of threads whose work and locks the copy never needs (see `tolerate_thread`).
_tolerated: set[str] = set()


def tolerate_thread(name: str) -> None:
    """Let a process running the thread called `name` make a copy: the thread only serves
    work the copy never gives it (it does not run in the copy), so whatever lock it holds
    at the moment of the copy, the copy never waits for."""
    _tolerated.add(name)


def possible() -> bool:
    """Whether this process may make a copy of itself now."""
    main = threading.main_thread()
    return (
        hasattr(os, "fork")
        and threading.current_thread() is main
        and all(t is main or t.name in _tolerated for t in threading.enumerate())
        and not any(connection.in_atomic_block for connection in connections.all())
    )


class Helper:
    """`Helper(work)` makes the copy, which runs `work(helper)`: both ends `send` and `receive`
    pickled messages. What `work` raises reaches the other end's next `receive` as a
    RuntimeError; `close` waits for the copy to end."""

    def __init__(self, work: Callable[[Helper], None]) -> None:
        connections.close_all()
        down_read, down_write = os.pipe()  # to the copy
        up_read, up_write = os.pipe()  # from the copy
        pid = os.fork()
        if pid == 0:  # the copy
            os.close(down_write)
            os.close(up_read)
            self._incoming = os.fdopen(down_read, "rb")
            self._outgoing = os.fdopen(up_write, "wb")
            self._run(work)
        self._pid = pid
        os.close(down_read)
        os.close(up_write)
        self._incoming = os.fdopen(up_read, "rb")
        self._outgoing = os.fdopen(down_write, "wb")

    def _run(self, work: Callable[[Helper], None]) -> None:
        status = 0
        try:
            work(self)
        except BaseException as error:  # the other end reports it
            status = 1
            with suppress(Exception):
                self.send(_Failed(f"{type(error).__name__}: {error}"))
        finally:
            with suppress(Exception):
                connections.close_all()
            os._exit(status)

    def send(self, message: Any) -> None:
        try:
            put(self._outgoing, message)
        except BrokenPipeError:
            raise RuntimeError("The helper process stopped.") from None

    def receive(self) -> Any:
        try:
            message = get(self._incoming)
        except EOFError:
            raise RuntimeError("The helper process stopped.") from None
        if isinstance(message, _Failed):
            raise RuntimeError(message.reason)
        return message

    def close(self) -> None:
        """Close the pipes (the copy, if still working, then stops at its next message) and
        wait for it to end."""
        for stream in (self._outgoing, self._incoming):
            with suppress(OSError):
                stream.close()
        with suppress(ChildProcessError):
            os.waitpid(self._pid, 0)
