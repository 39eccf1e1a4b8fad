"""One build at a time per warehouse, and the trace a build that died leaves behind.

A run that writes the working database holds an exclusive ``flock`` on ``<warehouse>/.build.lock`` from its first
use of the database until it ends. The kernel drops the lock when the process dies, however it dies (kill -9, out
of memory, power loss), so nothing persistent can keep a later build waiting: unlike a slot counted in a database,
a dead process cannot hold it. The file also holds a record of who holds the lock (run, process, start time); a
clean exit empties it, so a record found by the next holder names a run whose process died while holding the lock.

``flock`` is advisory and local: every writer of the warehouse takes it (the resource in ``pipelines/resources.py``
does, for every run); it does not protect a warehouse shared over NFS between machines.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILE_NAME = ".build.lock"
# The locks this process holds, by warehouse folder: `observatory build` takes the lock before it executes its run
# in the same process, and the run's resource must then use it rather than wait for itself.
_HELD: dict[Path, BuildLock] = {}


def held_here(warehouse_dir: Path) -> BuildLock | None:
    """The build lock of ``warehouse_dir`` if this process holds it."""
    return _HELD.get(Path(warehouse_dir).resolve())


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), which tells a live process from a new
    one that reuses the pid of a dead one; None where /proc is absent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: fields are counted after its closing ')'.
    return stat[stat.rindex(")") + 2:].split()[19]


def process_identity(pid: int | None = None) -> str:
    """``host:pid:start`` of this process (or ``pid``): what :func:`process_is_dead` checks later."""
    pid = pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid) or ''}"


def process_is_dead(identity: str) -> bool:
    """True when the process named by :func:`process_identity` surely no longer runs: same host, and its pid is
    gone or now belongs to a process started at another time. A process on another host is never judged dead."""
    host, _, rest = identity.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        pass
    return bool(start) and _process_start(pid) not in (None, start)


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the build lock."""

    run_id: str
    launched_by: str
    started_at: str
    process: str  # process_identity()

    @property
    def pid(self) -> str:
        return self.process.split(":")[1] if self.process.count(":") >= 1 else "?"

    def describe(self) -> str:
        return (f"run {self.run_id} ({self.launched_by}) started {self.started_at}, "
                f"process {self.pid} on {self.process.split(':')[0]}")


WORK_FOLDER = "work"


def clear_work_area(warehouse_dir: Path) -> None:
    """Remove what runs left in ``<warehouse>/work`` (each run extracts into its own sub-folder there): called by
    the holder of the lock, when every run that used it is over."""
    work = Path(warehouse_dir) / WORK_FOLDER
    if work.is_dir():
        for leftover in work.iterdir():
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)


class BuildRunning(RuntimeError):
    """Another build holds the warehouse; the message is one line that names it."""

    def __init__(self, warehouse_dir: Path, holder: Holder | None, waited: float = 0) -> None:
        self.holder = holder
        who = holder.describe() if holder else "a process that has not yet said which run it is"
        after = f" (waited {waited:.0f} s)" if waited else ""
        super().__init__(f"a build is running in {warehouse_dir}: {who}{after}; this one did not start. "
                         "Try again when it has ended (`observatory build --wait` waits for it).")


class BuildLock:
    """The exclusive build lock of one warehouse folder (see the module's docstring)."""

    def __init__(self, warehouse_dir: Path) -> None:
        self.warehouse_dir = Path(warehouse_dir)
        self.path = self.warehouse_dir / LOCK_FILE_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def _open(self) -> int:
        self.warehouse_dir.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    @classmethod
    def _holder(cls, fd: int, settle_seconds: float = 2.0) -> Holder | None:
        """The record of the process holding the lock. It writes it just after taking the lock, so a record not
        there yet is read again for a moment rather than reported as unknown."""
        deadline = time.monotonic() + settle_seconds
        while (holder := cls._read(fd)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return holder

    @staticmethod
    def _read(fd: int) -> Holder | None:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 65536).decode("utf-8", "replace").strip()
        if not text:
            return None
        try:
            return Holder(**json.loads(text))
        except (ValueError, TypeError):
            return Holder(run_id="unknown", launched_by="unknown", started_at="unknown", process="?:?:")

    def holder(self) -> Holder | None:
        """The live holder of the lock, or None when no process holds it (a record left by a dead one is ignored)."""
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._read(fd) or Holder("unknown", "unknown", "unknown", "?:?:")
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def acquire(self, run_id: str, launched_by: str, *, wait_seconds: float = 0,
                on_wait: Callable[[Holder | None], None] | None = None, poll_seconds: float = 1.0) -> Holder | None:
        """Take the lock for ``run_id``, waiting up to ``wait_seconds`` for a running build (``on_wait`` is called
        with its holder once, when waiting starts); raise :class:`BuildRunning` if it is still held then.

        Returns the record of a previous holder that died holding the lock, if any, for the caller to clean up after.
        """
        if self._fd is not None:
            return None
        fd = self._open()
        deadline = time.monotonic() + wait_seconds
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise BuildRunning(self.warehouse_dir, self._holder(fd),
                                           wait_seconds if wait_seconds else 0) from None
                    if not told and on_wait:
                        on_wait(self._holder(fd))
                    told = True
                    time.sleep(poll_seconds)
            dead = self._read(fd)
            record = Holder(run_id=run_id, launched_by=launched_by,
                            started_at=datetime.now(UTC).isoformat(timespec="seconds"), process=process_identity())
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(asdict(record)).encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD[self.warehouse_dir.resolve()] = self
        return dead

    def relabel(self, run_id: str) -> None:
        """Name the run that holds the lock, once it exists (``observatory build`` takes the lock first)."""
        if self._fd is None:
            return
        record = json.loads(os.pread(self._fd, 65536, 0).decode("utf-8") or "{}")
        record["run_id"] = run_id
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(record).encode(), 0)

    def release(self) -> None:
        """Empty the record (a clean end) and drop the lock."""
        if self._fd is None:
            return
        _HELD.pop(self.warehouse_dir.resolve(), None)
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass  # a full disk cannot stop the release: the record then names a run that is over, harmlessly
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
