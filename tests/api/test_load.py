"""Proof 6 of issue 11, load on `fleetfit serve` over loopback: 50 posters and 10 readers at once for 60 s
(the issue's figure; `bench/load_bench.py` prints the same run's p50/p99 on its own): no error, no reset, no
"database is locked", no report lost."""

from __future__ import annotations

import sys
from pathlib import Path

from fleetfit.server import FleetfitHTTPServer

from .test_local_server import TOKEN, server  # noqa: F401  (fixtures)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from load_bench import run_load  # noqa: E402


def test_50_posters_and_10_readers_lose_nothing(server: FleetfitHTTPServer) -> None:  # noqa: F811
    host, port = str(server.server_address[0]), int(server.server_address[1])
    result = run_load(host, port, posters=50, readers=10, seconds=60, token=TOKEN)
    print("\n".join(result.lines()))
    assert result.posts.errors == [] and result.reads.errors == []
    assert len(result.accepted) == 50 and sum(result.accepted.values()) >= 50  # every poster got through
    assert result.lost == 0 and result.stored == result.accepted
    assert server.refused == 0
