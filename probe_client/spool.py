"""The spool: every report is on disk before it is sent and leaves only after a 2xx.

Layout under the spool directory:
    pending/<report_id>.json      reports waiting to be sent (the exact request body)
    pending/<report_id>.strikes   runs in which the server failed it while taking a newer report (a count)
    dead/<report_id>.json         reports the server refused for good (non-retryable 4xx)
    dead/<report_id>.reason.json  the status and message the server gave
    .lock                         held while a run flushes, so two runs never send the same file at once

Report ids start with their UTC collection time, so name order is age order. Writes go to a temporary
file in the same directory, are fsynced, then renamed into place: a crash leaves the old state or the new,
never half a report. Both folders are bounded by count and bytes; the oldest files go first, with a warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

MAX_PENDING_REPORTS = 1000
MAX_PENDING_BYTES = 16 * 1024**2
MAX_DEAD_REPORTS = 200
_STALE_TEMP_S = 3600


class SpoolBusy(Exception):
    """Another probe run holds the spool lock."""


def default_spool_dir() -> Path:
    """FLEETFIT_SPOOL_DIR, else /var/spool/fleetfit for root, else the user's state directory."""
    if os.environ.get("FLEETFIT_SPOOL_DIR"):
        return Path(os.environ["FLEETFIT_SPOOL_DIR"])
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/spool/fleetfit")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "fleetfit" / "spool"


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _report_ids(directory: Path) -> list[str]:
    """Ids of the reports in a spool folder, oldest first (temp files and reasons left out)."""
    try:
        names = [p.name for p in directory.iterdir()]
    except FileNotFoundError:
        return []
    return sorted(
        name[: -len(".json")]
        for name in names
        if name.endswith(".json") and not name.endswith(".reason.json") and not name.startswith(".")
    )


class Spool:
    def __init__(
        self,
        root: Path,
        *,
        max_reports: int = MAX_PENDING_REPORTS,
        max_bytes: int = MAX_PENDING_BYTES,
        max_dead: int = MAX_DEAD_REPORTS,
    ) -> None:
        self.root = root
        self.pending = root / "pending"
        self.dead = root / "dead"
        self.max_reports = max_reports
        self.max_bytes = max_bytes
        self.max_dead = max_dead

    def ensure(self) -> None:
        for directory in (self.root, self.pending, self.dead):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    # --- pending -------------------------------------------------------------------------------------

    def put(self, report_id: str, body: bytes) -> list[str]:
        """Store a report; return the ids of the oldest reports dropped to stay within the bounds."""
        self.ensure()
        _write_atomic(self.pending / f"{report_id}.json", body)
        self._remove_stale_temps()
        return self._enforce_bounds(keep=report_id)

    def pending_ids(self) -> list[str]:
        """Spooled report ids, oldest first."""
        return _report_ids(self.pending)

    def read(self, report_id: str) -> bytes:
        return (self.pending / f"{report_id}.json").read_bytes()

    def remove(self, report_id: str) -> None:
        for suffix in (".json", ".strikes"):
            with contextlib.suppress(FileNotFoundError):
                (self.pending / f"{report_id}{suffix}").unlink()
        _fsync_dir(self.pending)

    def strike(self, report_id: str) -> int:
        """Count one more run in which the server failed this report while taking a newer one; the new count."""
        path = self.pending / f"{report_id}.strikes"
        try:
            count = int(path.read_text(encoding="ascii").strip() or "0")
        except (OSError, ValueError):  # absent, or torn by a crash: start again
            count = 0
        _write_atomic(path, str(count + 1).encode())
        return count + 1

    def _enforce_bounds(self, keep: str) -> list[str]:
        ids = self.pending_ids()
        sizes = {i: self._size(self.pending / f"{i}.json") for i in ids}
        total = sum(sizes.values())
        dropped: list[str] = []
        for report_id in ids:
            if len(ids) - len(dropped) <= self.max_reports and total <= self.max_bytes:
                break
            if report_id == keep:
                continue
            self.remove(report_id)
            dropped.append(report_id)
            total -= sizes[report_id]
        if dropped:
            log.warning(
                "spool full (limit %d reports, %d bytes): dropped the %d oldest report(s), %s .. %s",
                self.max_reports,
                self.max_bytes,
                len(dropped),
                dropped[0],
                dropped[-1],
            )
        return dropped

    @staticmethod
    def _size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0

    def _remove_stale_temps(self) -> None:
        cutoff = time.time() - _STALE_TEMP_S
        for directory in (self.pending, self.dead):
            for temp in directory.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    if temp.stat().st_mtime < cutoff:
                        temp.unlink()

    # --- dead letters --------------------------------------------------------------------------------

    def dead_letter(self, report_id: str, status: int, message: str) -> Path:
        """Move a refused report to dead/ with the server's answer beside it."""
        self.ensure()
        reason = {
            "report_id": report_id,
            "status": status,
            "error": message,
            "dead_lettered_at": datetime.now(UTC).isoformat(),
        }
        _write_atomic(self.dead / f"{report_id}.reason.json", json.dumps(reason, indent=2).encode())
        target = self.dead / f"{report_id}.json"
        os.replace(self.pending / f"{report_id}.json", target)
        with contextlib.suppress(FileNotFoundError):
            (self.pending / f"{report_id}.strikes").unlink()
        _fsync_dir(self.dead)
        _fsync_dir(self.pending)
        self._bound_dead()
        return target

    def dead_ids(self) -> list[str]:
        return _report_ids(self.dead)

    def _bound_dead(self) -> None:
        ids = self.dead_ids()
        excess = ids[: max(len(ids) - self.max_dead, 0)]
        for report_id in excess:
            for suffix in (".json", ".reason.json"):
                with contextlib.suppress(FileNotFoundError):
                    (self.dead / f"{report_id}{suffix}").unlink()
        if excess:
            log.warning("dead-letter folder full (limit %d): removed the %d oldest", self.max_dead, len(excess))

    # --- lock ----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the spool's flush lock (POSIX flock); raise SpoolBusy if another run holds it."""
        self.ensure()
        try:
            import fcntl
        except ImportError:  # Windows: no flock; idempotency keys still make double sends harmless
            yield
            return
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise SpoolBusy(str(self.root)) from exc
            yield
        finally:
            os.close(fd)
