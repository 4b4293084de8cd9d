"""The fleet store interface: what the API needs from DynamoDB or SQLite, and nothing more.

Both backends keep, per node, the latest report (newer-wins by ``collected_at``, then ``report_id``) and a
history of every report received (idempotent per ``report_id``). Every read is a key lookup or an index
range; no backend ever scans the whole store. Pages carry an opaque ``next_token``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from fleetfit.contract import Report, System
from fleetfit.store.keys import class_system, hardware_class

T = TypeVar("T")

Outcome = Literal["latest", "older", "duplicate"]
"""What ingesting a report did: it became the node's latest; it was stored in history but an equal-or-newer
report stays latest; or its ``report_id`` was already stored for this node with the same body (nothing
changed). The same ``report_id`` with another body raises ``ReportConflict``."""


class StoreError(Exception):
    """The backend failed (I/O, throttling); the API answers 503, never 500 with details."""


class ReportRefused(ValueError):
    """The backend can never hold this report (a value out of its range): a permanent 422, not "retry later"."""


class ReportConflict(Exception):
    """This ``report_id`` is already stored for the node with another body: a 409 (a retry sends the same body)."""

    def __init__(self, node_id: str, report_id: str) -> None:
        super().__init__(
            f"report_id {report_id!r} is already stored for node {node_id!r} with a different body; "
            "a new report needs a new report_id"
        )


def body_digest(body: str) -> str:
    """SHA-256 of a report as the stores write it (``model_dump_json``): what a retry must match."""
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


class BadPageToken(ValueError):
    """A ``next_token`` that this store did not issue for this listing."""


def iso(ts: datetime) -> str:
    """UTC timestamp with fixed width, so that string order is time order (both stores compare strings)."""
    if ts.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    utc = ts.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S.%f}Z"  # %Y is not zero-padded below year 1000 on glibc


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class StoredReport:
    report: Report
    received_at: datetime
    hw_class: str


@dataclass(frozen=True)
class NodeRecord:
    """A node as the listing indexes see it: the summary of its latest report."""

    node_id: str
    report_id: str
    collected_at: datetime
    received_at: datetime
    hw_class: str
    backend: str
    gpu_name: str | None
    gpu_count: int
    gpu_vram_gb: float | None
    hostname: str | None
    os: str | None
    probe_version: str

    @classmethod
    def of(cls, stored: StoredReport) -> NodeRecord:
        r, s = stored.report, stored.report.system
        return cls(
            node_id=r.node_id,
            report_id=r.report_id,
            collected_at=r.collected_at.astimezone(UTC),
            received_at=stored.received_at,
            hw_class=stored.hw_class,
            backend=s.backend,
            gpu_name=s.gpu_name,
            gpu_count=s.gpu_count,
            gpu_vram_gb=s.gpu_vram_gb,
            hostname=r.hostname,
            os=r.os,
            probe_version=r.probe_version,
        )


@dataclass(frozen=True)
class ClassRecord:
    """A hardware class in the registry: its representative System and its size."""

    hw_class: str
    system: System  # what every node of the class is evaluated as (engine.fleet.class_system)
    nodes: int  # nodes whose latest report is of this class (0: every node has left it)
    first_seen: datetime
    digest_version: str | None = None  # catalog version of `digest`, when one was stored
    digest: bytes | None = None  # the class's evaluation of that catalog (fleetfit.fleet.digest), opaque here


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    latest: StoredReport
    unchanged: bool = False  # same content as the node's latest: one update, no history entry


# Write amplification: a probe reports every 15 minutes and most reports say what the last one said. A report
# whose content equals the node's latest, in the same hardware class, replaces the latest (the new body, with
# its measurements) in one update and writes no history entry, except once a day (a heartbeat in the
# history). Content is everything but the id, the time and the two measurements that move on every run
# (available RAM, free VRAM; the class buckets available RAM, and a move across buckets is a change).
HEARTBEAT = timedelta(hours=24)
VOLATILE = {"report_id": True, "collected_at": True, "system": {"available_ram_gb": True}}


def content_digest(report: Report) -> str:
    """What a report says, apart from when and under which id it was sent and what moves on every run."""
    data = report.model_dump(mode="json", exclude=VOLATILE)
    for gpu in data["system"].get("gpus") or []:
        gpu.pop("free_vram_gb", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def encode_token(kind: str, position: dict[str, Any]) -> str:
    raw = json.dumps({"k": kind, "p": position}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, kind: str) -> dict[str, Any]:
    """The position inside a token of ``kind``; BadPageToken for anything else (never trust its content)."""
    if len(token) > 2048:
        raise BadPageToken("next_token is too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadPageToken("next_token is not a token this API issued") from exc
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("p"), dict):
        raise BadPageToken("next_token belongs to another listing")
    position: dict[str, Any] = data["p"]
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in position.items()):
        raise BadPageToken("next_token is not a token this API issued")
    return position


class Store(ABC):
    """One implementation per backend: ``DynamoStore`` (AWS) and ``SqliteStore`` (one machine)."""

    def put_report(self, report: Report, *, received_at: datetime) -> IngestResult:
        """Store ``report``: idempotent per (node_id, report_id); the latest changes only to a newer one.
        When the latest moves the node into another hardware class, the class counts move with it."""
        hw_class = hardware_class(report.system)
        touched = self._touch(report, received_at=received_at, digest=content_digest(report), hw_class=hw_class)
        if touched is not None:
            return touched
        klass = class_system(report.system)
        return self._put(report, received_at=received_at, hw_class=hw_class, class_json=klass.model_dump_json())

    @abstractmethod
    def _put(self, report: Report, *, received_at: datetime, hw_class: str, class_json: str) -> IngestResult: ...

    def _touch(self, report: Report, *, received_at: datetime, digest: str, hw_class: str) -> IngestResult | None:
        """When ``report`` says what the node's latest says (same class), is newer, and the history has an entry
        from the last HEARTBEAT: make it the latest in one small update and answer; else None (the full write)."""
        return None

    @abstractmethod
    def latest(self, node_id: str) -> StoredReport | None:
        """The node's latest report, or None for a node never seen."""

    @abstractmethod
    def list_nodes(self, *, limit: int, token: str | None = None) -> Page[NodeRecord]:
        """Every node, ordered by node id."""

    @abstractmethod
    def history(self, node_id: str, *, limit: int, token: str | None = None) -> Page[StoredReport]:
        """The node's reports, newest ``collected_at`` first (while history retention keeps them)."""

    @abstractmethod
    def nodes_in_class(self, hw_class: str, *, limit: int, token: str | None = None) -> Page[NodeRecord]:
        """Nodes whose latest report is of class ``hw_class``, ordered by node id (an index query)."""

    # -- the class registry and fleet-wide reads ----------------------------------------------------------
    @abstractmethod
    def list_classes(self, *, limit: int = 500, token: str | None = None, digests: bool = False) -> Page[ClassRecord]:
        """Every hardware class ever seen, by class id (nodes may be 0); `digests` also reads stored digests."""

    def classes(self, *, digests: bool = False) -> list[ClassRecord]:
        """All classes (a few dozen in a real fleet: one or two pages)."""
        out: list[ClassRecord] = []
        token: str | None = None
        while True:
            page = self.list_classes(token=token, digests=digests)
            out.extend(page.items)
            token = page.next_token
            if token is None:
                return out

    @abstractmethod
    def get_class(self, hw_class: str, *, digests: bool = False) -> ClassRecord | None:
        """One class of the registry by id (a key lookup), or None when it was never seen."""

    @abstractmethod
    def put_class_digest(self, hw_class: str, version: str, digest: bytes) -> None:
        """Record the class's digest for catalog `version` (a no-op when that version is already stored)."""

    @abstractmethod
    def stale_by_class(self, before: datetime) -> dict[str, int]:
        """How many nodes of each class have a latest report collected before `before` (an index range over
        the stale nodes only: it grows with stale nodes, not with the fleet)."""

    @abstractmethod
    def delete_node(self, node_id: str) -> bool:
        """Remove the node: its latest report, its history and report-id guards; its class counts one node
        fewer (the class stays registered). False when the node was not known. A report the node sends
        afterwards registers it again, as a new node."""

    def latest_many(self, node_ids: list[str]) -> dict[str, StoredReport]:
        """The latest reports of several nodes (unknown nodes are absent from the answer)."""
        found = {}
        for node_id in dict.fromkeys(node_ids):
            stored = self.latest(node_id)
            if stored is not None:
                found[node_id] = stored
        return found
