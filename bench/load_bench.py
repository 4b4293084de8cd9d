"""Load on `fleetfit serve`: concurrent posters and readers over loopback HTTP (issue 11, proof 6).

    .venv/bin/python bench/load_bench.py [--posters 50] [--readers 10] [--seconds 60]

Starts the local server (SQLite store, bundled catalog, a bearer token) on an ephemeral loopback port. Each
poster is one node sending new reports back to back on a keep-alive connection; each reader walks the read
routes. Prints requests, errors (any non-2xx or connection failure: a reset, "database is locked" as a 503),
lost reports (answered 201 but not in the node's history afterwards) and p50/p99 latency per kind.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

TOKEN = "load-bench-token-0123456789abcdef"


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def p(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class LoadResult:
    posts: Tally
    reads: Tally
    accepted: dict[str, int]  # node -> reports answered 201
    stored: dict[str, int]  # node -> reports in its history afterwards
    seconds: float

    @property
    def lost(self) -> int:
        return sum(max(0, n - self.stored.get(node, 0)) for node, n in self.accepted.items())

    @property
    def errors(self) -> int:
        return len(self.posts.errors) + len(self.reads.errors)

    def lines(self) -> list[str]:
        out = []
        for kind, t in (("post", self.posts), ("read", self.reads)):
            n = len(t.latencies_ms)
            mean = statistics.fmean(t.latencies_ms) if n else 0.0
            out.append(
                f"{kind}: {n} requests ({n / self.seconds:.1f}/s), {len(t.errors)} errors, "
                f"p50 {t.p(0.5):.0f} ms, p99 {t.p(0.99):.0f} ms, mean {mean:.0f} ms"
            )
        out.append(
            f"reports accepted {sum(self.accepted.values())}, stored {sum(self.stored.values())}, lost {self.lost}"
        )
        return out


class _Conn:
    def __init__(self, host: str, port: int, token: str = TOKEN) -> None:
        self.host, self.port, self.token = host, port, token
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except Exception:
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            raise
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return resp.status, data


def _report(node: str, n: int, base: datetime) -> bytes:
    from fleetfit.store.samples import sample_report

    # Each report says something new (its hostname), so each is a full write kept in history: the costly path,
    # and "lost" can be counted from history (an unchanged report only moves the node's latest).
    r = sample_report(
        node,
        collected_at=base + timedelta(milliseconds=n),
        report_id=f"{n:08d}-{uuid.uuid4().hex[:12]}",
        hostname=f"{node}-{n}",
    )
    return r.model_dump_json().encode()


def run_load(host: str, port: int, *, posters: int, readers: int, seconds: float, token: str = TOKEN) -> LoadResult:
    posts, reads = Tally(), Tally()
    accepted: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    start = threading.Barrier(posters + readers)
    base = datetime.now(UTC) - timedelta(hours=1)

    def poster(i: int) -> None:
        node, conn, n = f"load-{i:03d}", _Conn(host, port, token), 0
        start.wait()
        while time.monotonic() < stop:
            body = _report(node, n, base)
            began = time.perf_counter()
            try:
                status, data = conn.request("POST", "/api/v1/reports", body)
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                with lock:
                    posts.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                posts.latencies_ms.append((time.perf_counter() - began) * 1000)
                if status == 201:
                    accepted[node] = accepted.get(node, 0) + 1
                else:
                    posts.errors.append(f"HTTP {status}: {data[:200]!r}")
            n += 1

    def reader(i: int) -> None:
        conn = _Conn(host, port, token)
        paths = [
            "/api/v1/nodes?limit=100",
            f"/api/v1/nodes/load-{i:03d}",
            f"/api/v1/nodes/load-{i:03d}/history?limit=10",
            f"/api/v1/models/top?node=load-{i:03d}",
            "/api/v1/fleet/summary",
        ]
        start.wait()
        k = 0
        while time.monotonic() < stop:
            path = paths[k % len(paths)]
            k += 1
            began = time.perf_counter()
            try:
                status, data = conn.request("GET", path)
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                with lock:
                    reads.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                reads.latencies_ms.append((time.perf_counter() - began) * 1000)
                if status not in (200, 404):  # a node not yet seen is a 404, not an error
                    reads.errors.append(f"HTTP {status} {path}: {data[:200]!r}")

    threads = [threading.Thread(target=poster, args=(i,)) for i in range(posters)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return LoadResult(posts, reads, accepted, _stored(host, port, list(accepted), token), elapsed)


def _stored(host: str, port: int, nodes: list[str], token: str) -> dict[str, int]:
    conn, out = _Conn(host, port, token), {}
    for node in nodes:
        count, page_token = 0, ""
        while True:
            status, data = conn.request("GET", f"/api/v1/nodes/{node}/history?limit=1000{page_token}")
            page: dict[str, Any] = json.loads(data) if status == 200 else {}
            count += len(page.get("reports", []))
            if not page.get("next_token"):
                break
            page_token = f"&next_token={page['next_token']}"
        out[node] = count
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posters", type=int, default=50)
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    from fleetfit.server import make_server

    with tempfile.TemporaryDirectory() as tmp:
        server = make_server("127.0.0.1", 0, db_path=f"{tmp}/fleet.db", token=TOKEN)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = str(server.server_address[0]), int(server.server_address[1])
        try:
            result = run_load(host, port, posters=args.posters, readers=args.readers, seconds=args.seconds)
        finally:
            server.shutdown()
            server.server_close()
    print(f"load: {args.posters} posters + {args.readers} readers for {result.seconds:.0f} s on loopback")
    for line in result.lines():
        print(line)
    for kind, tally in (("post", result.posts), ("read", result.reads)):
        for message in sorted(set(tally.errors))[:5]:
            print(f"  {kind} error: {message}")


if __name__ == "__main__":
    main()
