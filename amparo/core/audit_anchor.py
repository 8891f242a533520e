"""The audit chain's newest head, kept outside the database: the anchor, and where it is sent.

A keyed chain (amparo.core.audit) stops anyone without the audit key from rewriting entries, but
not from deleting the newest ones: what is left still chains. So after every append commits, the
new head (entry id, hash, key id, time) is written

* to the anchor file (setting AMPARO_AUDIT_ANCHOR_FILE; by default `audit-anchor.json` beside the
  key ring, which is outside the database and its backups), which `amparo audit verify` compares
  with the log: a log that no longer holds the anchored entry, or holds it with another hash, was
  cut or rewritten;
* and, if AMPARO_AUDIT_ANCHOR_SINK is set, to syslog or an HTTP(S) endpoint on another machine,
  so that someone who takes this server's files as well as its database still cannot hide a cut
  from whoever reads that record (`amparo audit verify --expect ID:HASH` checks a head from it).

Why after the commit, and what that costs. The head is written only once the transaction that
appended it has committed: anchored before, a rolled-back entry would be named by the anchor and
look deleted. So a process that dies between its commit and the anchor write leaves the anchor
one or a few entries behind the log. `verify` reports such entries as not yet anchored, not as
tampering, and the next append anchors them. The reverse, an anchor ahead of the log, only
happens when entries disappeared: deleted, restored from an older backup, or (SQLite with
synchronous=NORMAL only) lost in a power failure before they reached the disk.

Several processes append at once. The file is replaced atomically (written in full to a
temporary file, flushed, renamed over the old one) under an exclusive lock on a lock file beside
it, and only by a head newer (higher entry id) than the one it holds, so it never goes backwards
whatever order the processes reach it in. Entry ids grow in commit order: appends hold the chain
lock (amparo.core.audit) until they commit. Servers that share one database but not one anchor
file each anchor their own appends; give them one sink to see every head in one place.

Nothing here can fail an append: the action it records has already happened. A failure is
logged (the path and the error's kind, nothing from the entry) and `verify` shows the lag.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.core import crypto, forked
from amparo.core.audit_sink import SINK_TIMEOUT_SECONDS, deliver
from amparo.core.private_files import create_private_directory

logger = logging.getLogger(__name__)

ANCHOR_FORMAT = "amparo-audit-anchor/1"
DEFAULT_FILE_NAME = "audit-anchor.json"


@dataclass(frozen=True)
class Head:
    """The newest entry of the chain, as the anchor and the sinks hold it."""

    entry_id: int
    entry_hash: str
    key_id: str
    at: str

    def to_json(self) -> str:
        return json.dumps({"format": ANCHOR_FORMAT, **asdict(self)}, sort_keys=True) + "\n"


class AnchorUnreadable(Exception):
    """The anchor file exists but does not hold a head."""


def anchor_file() -> Path:
    """AMPARO_AUDIT_ANCHOR_FILE, or `audit-anchor.json` in the key ring's directory."""
    configured = getattr(settings, "AMPARO_AUDIT_ANCHOR_FILE", None)
    if configured:
        return Path(configured)
    return crypto.configured_key_file().parent / DEFAULT_FILE_NAME


def read(path: Path | None = None) -> Head | None:
    """The anchored head; None if there is no anchor file; AnchorUnreadable if it is damaged."""
    path = path or anchor_file()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise AnchorUnreadable(
            _("The anchor %(path)s cannot be read (%(error)s).")
            % {"path": path, "error": error.__class__.__name__}
        ) from None
    try:
        if document.pop("format") != ANCHOR_FORMAT:
            raise ValueError
        head = Head(**document)
        if not isinstance(head.entry_id, int) or not isinstance(head.entry_hash, str):
            raise ValueError
    except (AttributeError, KeyError, TypeError, ValueError):
        raise AnchorUnreadable(
            _("The anchor %(path)s does not hold an audit head in the format %(format)s.")
            % {"path": path, "format": ANCHOR_FORMAT}
        ) from None
    return head


def advance(head: Head, path: Path | None = None) -> bool:
    """Anchor `head` unless the anchor already names this entry or a newer one. True if written."""
    path = path or anchor_file()
    create_private_directory(path.parent)
    lock = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read(path)
        except AnchorUnreadable:
            current = None  # a damaged anchor is replaced by a good one
        if current is not None and current.entry_id >= head.entry_id:
            return False
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".anchor-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(head.to_json())
                handle.flush()
                # Without it a crash could leave an empty file under the anchor's name.
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True
    finally:
        os.close(lock)  # releases the lock


def anchor_on_commit(head: Head) -> None:
    """Anchor `head` and send it to the sink once the transaction that appended it commits."""
    transaction.on_commit(partial(publish, head))


def publish(head: Head) -> None:
    """Hand `head` to this process's anchor writer and sink sender, which run in the background:
    an append waits for neither the disk nor the network. Where to is decided now, not when the
    thread gets to it."""
    try:
        _anchor_writer.give(head, str(anchor_file()))
    except crypto.CryptoError as error:  # no key file: nowhere to anchor; the append stands
        logger.error("The audit anchor was not updated (%s).", error.__class__.__name__)
    sink = getattr(settings, "AMPARO_AUDIT_ANCHOR_SINK", "")
    if sink:
        _sink_sender.give(head, sink)


def flush(timeout: float = SINK_TIMEOUT_SECONDS) -> bool:
    """Wait until every head this process gave has been anchored and sent (or has failed).
    False on timeout. `verify` calls it, so that it sees this process's own appends anchored."""
    return _anchor_writer.flush(timeout) and _sink_sender.flush(timeout)


def _write_anchor(head: Head, path: str) -> None:
    try:
        advance(head, Path(path))
    except (OSError, crypto.CryptoError) as error:
        logger.error(
            "The audit anchor was not updated (%s); `amparo audit verify` will show the entries "
            "after the anchored one as not yet anchored.",
            error.__class__.__name__,
        )


def _send_to_sink(head: Head, url: str) -> None:
    try:
        deliver(url, head.to_json())
    except Exception as error:  # a sink that is down must not stop the next send
        logger.warning(
            "The audit head was not sent to AMPARO_AUDIT_ANCHOR_SINK (%s).",
            error.__class__.__name__,
        )


class _Newest:
    """A background thread that does `work` with the newest head it was given.

    Heads given while it works collapse into the newest one: the anchor and the sink need the
    latest head, not every one, so under load one disk flush or one request covers many
    appends. Measured in tests/bench/audit_append.py: an append that waited for the anchor's
    write and flush took about 13 ms longer on the development machine's disk."""

    def __init__(self, name: str, work: Callable[[Head, str], None]) -> None:
        # A copy of this process (an import's helper) does not run the thread, and writes no
        # audit entry; should it ever, it starts afresh (`_forget`), with no lock held.
        forked.tolerate_thread(name)
        os.register_at_fork(after_in_child=self._forget)
        self._name = name
        self._work = work
        self._forget()

    def _forget(self) -> None:
        self._condition = threading.Condition()
        self._pending: tuple[Head, str] | None = None
        self._busy = False
        self._thread: threading.Thread | None = None

    def give(self, head: Head, target: str) -> None:
        """Do the work with `head` on `target` (a path, a URL) unless a newer head is pending."""
        with self._condition:
            pending = self._pending
            if pending is None or pending[1] != target or head.entry_id > pending[0].entry_id:
                self._pending = (head, target)
            if self._thread is None or not self._thread.is_alive():
                # Started here, not at import: a forked worker process inherits no thread.
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._pending is None:
                    self._condition.wait()
                (head, target), self._pending, self._busy = self._pending, None, True
            try:
                self._work(head, target)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def flush(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(
                lambda: self._pending is None and not self._busy, timeout=timeout
            )


_anchor_writer = _Newest("amparo-audit-anchor", _write_anchor)
_sink_sender = _Newest("amparo-audit-sink", _send_to_sink)
# A process that exits normally (a web worker recycled, a command done) first writes what it
# holds; one that is killed leaves the anchor a few entries behind, which `verify` reports as such.
atexit.register(flush)
