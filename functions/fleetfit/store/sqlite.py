"""The embedded store: one SQLite file, for `fleetfit serve` and `fleetfit probe --local`.

Good for a lab of a few dozen nodes (and far beyond: every read is an index range). WAL mode, one
connection guarded by a lock, so the threaded local server can share it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from fleetfit.contract import STORED, Report, System
from fleetfit.store.base import (
    BadPageToken,
    ClassRecord,
    IngestResult,
    NodeRecord,
    Outcome,
    Page,
    ReportConflict,
    ReportRefused,
    Store,
    StoredReport,
    StoreError,
    body_digest,
    decode_token,
    encode_token,
    iso,
    parse_iso,
)


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/fleetfit/fleetfit.db``, else ``~/.local/share/fleetfit/fleetfit.db``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fleetfit" / "fleetfit.db"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
    node_id       TEXT PRIMARY KEY,
    report_id     TEXT NOT NULL,
    collected_at  TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    hw_class      TEXT NOT NULL,
    backend       TEXT NOT NULL,
    gpu_name      TEXT,
    gpu_count     INTEGER NOT NULL,
    gpu_vram_gb   REAL,
    hostname      TEXT,
    os            TEXT,
    probe_version TEXT NOT NULL,
    report        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS nodes_by_class ON nodes (hw_class, node_id);
CREATE TABLE IF NOT EXISTS reports (
    node_id      TEXT NOT NULL,
    report_id    TEXT NOT NULL,
    collected_at TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    hw_class     TEXT NOT NULL,
    report       TEXT NOT NULL,
    digest       TEXT,
    PRIMARY KEY (node_id, report_id)
);
CREATE INDEX IF NOT EXISTS reports_by_time ON reports (node_id, collected_at DESC, report_id DESC);
CREATE INDEX IF NOT EXISTS nodes_by_seen ON nodes (collected_at);
CREATE TABLE IF NOT EXISTS classes (
    hw_class       TEXT PRIMARY KEY,
    system         TEXT NOT NULL,
    first_seen     TEXT NOT NULL,
    nodes          INTEGER NOT NULL DEFAULT 0,
    digest_version TEXT,
    digest         BLOB
);
"""

# A node enters a class: the class is registered the first time (with its representative System) and counted.
_ENTER_CLASS = """
INSERT INTO classes (hw_class, system, first_seen, nodes) VALUES (?, ?, ?, 1)
ON CONFLICT (hw_class) DO UPDATE SET nodes = nodes + 1
"""
_CLASS_COLS = "hw_class, system, first_seen, nodes"

_NODE_COLS = (
    "node_id, report_id, collected_at, received_at, hw_class, backend, gpu_name, gpu_count, gpu_vram_gb, "
    "hostname, os, probe_version"
)

# Newer-wins: a stored latest is replaced only by a report collected later (ties broken by report_id).
_UPSERT_LATEST = f"""
INSERT INTO nodes ({_NODE_COLS}, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (node_id) DO UPDATE SET
    report_id = excluded.report_id, collected_at = excluded.collected_at, received_at = excluded.received_at,
    hw_class = excluded.hw_class, backend = excluded.backend, gpu_name = excluded.gpu_name,
    gpu_count = excluded.gpu_count, gpu_vram_gb = excluded.gpu_vram_gb, hostname = excluded.hostname,
    os = excluded.os, probe_version = excluded.probe_version, report = excluded.report
WHERE excluded.collected_at > nodes.collected_at
   OR (excluded.collected_at = nodes.collected_at AND excluded.report_id > nodes.report_id)
"""


class SqliteStore(Store):
    """``Store`` on SQLite. History older than ``history_days`` is pruned as reports arrive."""

    def __init__(self, path: str | Path, *, history_days: int = 90) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.path = str(Path(self.path).expanduser())
        self.history_days = history_days
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            self._add_digest_column()
            self._register_existing_classes()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the fleet database {self.path}: {exc}") from exc

    def _add_digest_column(self) -> None:
        """A database written before reports carried their body digest: add the column (old rows stay NULL and
        are compared by their stored body)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(reports)").fetchall()}
        if "digest" not in columns:
            self._db.execute("ALTER TABLE reports ADD COLUMN digest TEXT")

    def _register_existing_classes(self) -> None:
        """A database written before the class registry existed: register the classes of its nodes once."""
        if self._db.execute("SELECT 1 FROM classes LIMIT 1").fetchone() is not None:
            return
        counts = self._db.execute("SELECT hw_class, COUNT(*), MIN(received_at) FROM nodes GROUP BY hw_class").fetchall()
        if not counts:
            return
        from fleetfit.store.keys import class_system

        self._db.execute("BEGIN IMMEDIATE")
        for hw_class, count, first_seen in counts:
            (body,) = self._db.execute("SELECT report FROM nodes WHERE hw_class = ? LIMIT 1", (hw_class,)).fetchone()
            system = class_system(Report.model_validate_json(body, context=STORED).system).model_dump_json()
            self._db.execute(
                "INSERT OR IGNORE INTO classes (hw_class, system, first_seen, nodes) VALUES (?, ?, ?, ?)",
                (hw_class, system, first_seen, count),
            )
        self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes -----------------------------------------------------------------------------------------
    def _put(self, report: Report, *, received_at: datetime, hw_class: str, class_json: str) -> IngestResult:
        s = report.system
        collected, received = iso(report.collected_at), iso(received_at)
        body = report.model_dump_json()
        cutoff = iso(received_at - timedelta(days=self.history_days))
        outcome: Outcome
        digest = body_digest(body)
        with self._writing():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO reports (node_id, report_id, collected_at, received_at, hw_class, report, "
                "digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (report.node_id, report.report_id, collected, received, hw_class, body, digest),
            )
            if cur.rowcount == 0:
                stored_body, stored_digest = self._db.execute(
                    "SELECT report, digest FROM reports WHERE node_id = ? AND report_id = ?",
                    (report.node_id, report.report_id),
                ).fetchone()
                if (stored_digest or body_digest(str(stored_body))) != digest:
                    raise ReportConflict(report.node_id, report.report_id)
                outcome = "duplicate"
            else:
                before = self._db.execute("SELECT hw_class FROM nodes WHERE node_id = ?", (report.node_id,))
                old = before.fetchone()
                cur = self._db.execute(
                    _UPSERT_LATEST,
                    (
                        report.node_id, report.report_id, collected, received, hw_class, s.backend,
                        s.gpu_name, s.gpu_count, s.gpu_vram_gb, report.hostname, report.os,
                        report.probe_version, body,
                    ),
                )  # fmt: skip
                outcome = "latest" if cur.rowcount else "older"
                old_class = None if old is None else str(old[0])
                if outcome == "latest" and old_class != hw_class:
                    self._db.execute(_ENTER_CLASS, (hw_class, class_json, received))
                    if old_class is not None:
                        self._db.execute("UPDATE classes SET nodes = nodes - 1 WHERE hw_class = ?", (old_class,))
                self._db.execute(
                    "DELETE FROM reports WHERE node_id = ? AND collected_at < ? AND report_id != ?",
                    (report.node_id, cutoff, report.report_id),
                )
            latest = self._latest_locked(report.node_id)
        assert latest is not None  # the node row exists once a report was inserted
        return IngestResult(outcome=outcome, latest=latest)

    def _rollback(self) -> None:
        if self._db.in_transaction:  # an unusable connection: the next BEGIN reports it as a StoreError
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction under the lock: committed when the block ends (unless it rolled back itself),
        rolled back on any exception whatever it is, so no write is ever left open for the next request.
        SQLite's own errors are a StoreError (503, retry); a value it cannot bind (int > 2^63, lone surrogate)
        is a ReportRefused (a permanent 422)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield
                if self._db.in_transaction:
                    self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(f"fleet database write failed: {exc}") from exc
            except (OverflowError, ValueError) as exc:
                self._rollback()
                if isinstance(exc, ReportRefused):
                    raise
                raise ReportRefused(f"the fleet database cannot hold this report: {exc}") from exc
            except BaseException:  # anything else, a conflict included
                self._rollback()
                raise

    # -- reads ------------------------------------------------------------------------------------------
    def latest(self, node_id: str) -> StoredReport | None:
        with self._lock:
            return self._latest_locked(node_id)

    def _latest_locked(self, node_id: str) -> StoredReport | None:
        row = self._query_one("SELECT report, received_at, hw_class FROM nodes WHERE node_id = ?", (node_id,))
        return None if row is None else _stored(row)

    def list_nodes(self, *, limit: int, token: str | None = None) -> Page[NodeRecord]:
        after = decode_token(token, "nodes")["after"] if token else ""
        rows = self._query(
            f"SELECT {_NODE_COLS} FROM nodes WHERE node_id > ? ORDER BY node_id LIMIT ?", (after, limit + 1)
        )
        return self._node_page(rows, limit, "nodes", {})

    def nodes_in_class(self, hw_class: str, *, limit: int, token: str | None = None) -> Page[NodeRecord]:
        pos = decode_token(token, "class") if token else {"c": hw_class, "after": ""}
        if pos.get("c") != hw_class:
            raise BadPageToken("next_token belongs to another hardware class")
        rows = self._query(
            f"SELECT {_NODE_COLS} FROM nodes WHERE hw_class = ? AND node_id > ? ORDER BY node_id LIMIT ?",
            (hw_class, pos.get("after", ""), limit + 1),
        )
        return self._node_page(rows, limit, "class", {"c": hw_class})

    def history(self, node_id: str, *, limit: int, token: str | None = None) -> Page[StoredReport]:
        if token:
            pos = decode_token(token, "history")
            if pos.get("n") != node_id or "c" not in pos or "r" not in pos:
                raise BadPageToken("next_token belongs to another node")
            rows = self._query(
                "SELECT report, received_at, hw_class, collected_at, report_id FROM reports "
                "WHERE node_id = ? AND (collected_at, report_id) < (?, ?) "
                "ORDER BY collected_at DESC, report_id DESC LIMIT ?",
                (node_id, pos["c"], pos["r"], limit + 1),
            )
        else:
            rows = self._query(
                "SELECT report, received_at, hw_class, collected_at, report_id FROM reports "
                "WHERE node_id = ? ORDER BY collected_at DESC, report_id DESC LIMIT ?",
                (node_id, limit + 1),
            )
        items = [_stored(r) for r in rows[:limit]]
        next_token = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_token = encode_token("history", {"n": node_id, "c": last[3], "r": last[4]})
        return Page(items=items, next_token=next_token)

    # -- the class registry and fleet-wide reads ----------------------------------------------------------
    def list_classes(self, *, limit: int = 500, token: str | None = None, digests: bool = False) -> Page[ClassRecord]:
        after = decode_token(token, "classes").get("after", "") if token else ""
        cols = _CLASS_COLS + (", digest_version, digest" if digests else "")
        rows = self._query(
            f"SELECT {cols} FROM classes WHERE hw_class > ? ORDER BY hw_class LIMIT ?", (after, limit + 1)
        )
        items = [_class(r) for r in rows[:limit]]
        next_token = None
        if len(rows) > limit and items:
            next_token = encode_token("classes", {"after": items[-1].hw_class})
        return Page(items=items, next_token=next_token)

    def get_class(self, hw_class: str, *, digests: bool = False) -> ClassRecord | None:
        cols = _CLASS_COLS + (", digest_version, digest" if digests else "")
        rows = self._query(f"SELECT {cols} FROM classes WHERE hw_class = ?", (hw_class,))
        return _class(rows[0]) if rows else None

    def put_class_digest(self, hw_class: str, version: str, digest: bytes) -> None:
        with self._lock:
            try:
                self._db.execute(
                    "UPDATE classes SET digest_version = ?, digest = ? "
                    "WHERE hw_class = ? AND (digest_version IS NULL OR digest_version != ?)",
                    (version, digest, hw_class, version),
                )
            except sqlite3.Error as exc:
                raise StoreError(f"fleet database write failed: {exc}") from exc

    def stale_by_class(self, before: datetime) -> dict[str, int]:
        rows = self._query(
            "SELECT hw_class, COUNT(*) FROM nodes WHERE collected_at < ? GROUP BY hw_class", (iso(before),)
        )
        return {str(k): int(n) for k, n in rows}  # type: ignore[call-overload]

    def latest_many(self, node_ids: list[str]) -> dict[str, StoredReport]:
        wanted = list(dict.fromkeys(node_ids))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self._query(
            f"SELECT node_id, report, received_at, hw_class FROM nodes WHERE node_id IN ({marks})", tuple(wanted)
        )
        return {str(r[0]): _stored(r[1:]) for r in rows}

    # -- helpers ----------------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"fleet database read failed: {exc}") from exc

    def _query_one(self, sql: str, args: tuple[object, ...]) -> tuple[object, ...] | None:
        try:
            row: tuple[object, ...] | None = self._db.execute(sql, args).fetchone()
            return row
        except sqlite3.Error as exc:
            raise StoreError(f"fleet database read failed: {exc}") from exc

    def _node_page(
        self, rows: list[tuple[object, ...]], limit: int, kind: str, extra: dict[str, str]
    ) -> Page[NodeRecord]:
        items = [_node(r) for r in rows[:limit]]
        next_token = None
        if len(rows) > limit and items:
            next_token = encode_token(kind, {**extra, "after": items[-1].node_id})
        return Page(items=items, next_token=next_token)

    # -- write amplification and retiring nodes (docs/operations.md) ---------------------------------
    def _touch(self, report: Report, *, received_at: datetime, digest: str, hw_class: str) -> IngestResult | None:
        from fleetfit.store.base import HEARTBEAT, content_digest

        collected = iso(report.collected_at)
        with self._writing():
            row = self._db.execute(
                "SELECT report_id, collected_at, report, hw_class FROM nodes WHERE node_id = ?", (report.node_id,)
            ).fetchone()
            latest = None if row is None else Report.model_validate_json(row[2], context=STORED)
            if latest is not None and latest == report:  # a retry of the unchanged report stored last
                self._db.execute("ROLLBACK")
                stored = self._latest_locked(report.node_id)
                assert stored is not None
                return IngestResult(outcome="duplicate", latest=stored)
            if latest is None or content_digest(latest) != digest or collected <= str(row[1]) or row[3] != hw_class:
                self._db.execute("ROLLBACK")
                return None
            (last_entry,) = self._db.execute(
                "SELECT MAX(collected_at) FROM reports WHERE node_id = ?", (report.node_id,)
            ).fetchone()
            if last_entry is None or report.collected_at - parse_iso(str(last_entry)) >= HEARTBEAT:
                self._db.execute("ROLLBACK")
                return None  # the daily heartbeat: the full write keeps it in history
            self._db.execute(
                "UPDATE nodes SET report_id = ?, collected_at = ?, received_at = ?, report = ? WHERE node_id = ?",
                (report.report_id, collected, iso(received_at), report.model_dump_json(), report.node_id),
            )
            stored = self._latest_locked(report.node_id)
        assert stored is not None
        return IngestResult(outcome="latest", latest=stored, unchanged=True)

    def delete_node(self, node_id: str) -> bool:
        with self._writing():
            row = self._db.execute("SELECT hw_class FROM nodes WHERE node_id = ?", (node_id,)).fetchone()
            if row is not None:
                self._db.execute("DELETE FROM nodes WHERE node_id = ?", (node_id,))
                self._db.execute("UPDATE classes SET nodes = nodes - 1 WHERE hw_class = ?", (row[0],))
            self._db.execute("DELETE FROM reports WHERE node_id = ?", (node_id,))
        return row is not None


def _stored(row: tuple[object, ...]) -> StoredReport:
    return StoredReport(
        report=Report.model_validate_json(str(row[0]), context=STORED),
        received_at=parse_iso(str(row[1])),
        hw_class=str(row[2]),
    )


def _class(row: tuple[object, ...]) -> ClassRecord:
    digest_version = row[4] if len(row) > 4 else None
    digest = row[5] if len(row) > 5 else None
    return ClassRecord(
        hw_class=str(row[0]),
        system=System.model_validate_json(str(row[1]), context=STORED),
        first_seen=parse_iso(str(row[2])),
        nodes=max(0, int(row[3])),  # type: ignore[call-overload]
        digest_version=None if digest_version is None else str(digest_version),
        digest=None if digest is None else bytes(digest),  # type: ignore[arg-type]
    )


def _node(row: tuple[object, ...]) -> NodeRecord:
    (node_id, report_id, collected, received, hw_class, backend, gpu_name, gpu_count, vram, host, os_, pv) = row
    return NodeRecord(
        node_id=str(node_id),
        report_id=str(report_id),
        collected_at=parse_iso(str(collected)),
        received_at=parse_iso(str(received)),
        hw_class=str(hw_class),
        backend=str(backend),
        gpu_name=None if gpu_name is None else str(gpu_name),
        gpu_count=int(gpu_count),  # type: ignore[call-overload]
        gpu_vram_gb=None if vram is None else float(vram),  # type: ignore[arg-type]
        hostname=None if host is None else str(host),
        os=None if os_ is None else str(os_),
        probe_version=str(pv),
    )
