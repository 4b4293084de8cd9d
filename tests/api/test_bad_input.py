"""Proof 2 of issue 11, bad input by hand, over HTTP on `fleetfit serve` (SQLite): every case is a clear 4xx
JSON answer naming what is wrong, and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fleetfit.store.samples import sample_report

from .test_local_server import Client, client, server  # noqa: F401  (fixtures)

NODE = "lab-node-1"


def _good() -> dict[str, Any]:
    return sample_report(NODE).model_dump(mode="json")


def _system(**changes: Any) -> dict[str, Any]:
    body = _good()
    body["system"] = {**body["system"], **changes}
    return body


def _nested(depth: int) -> dict[str, Any]:
    inner: Any = "x"
    for _ in range(depth):
        inner = [inner]
    return {**_good(), "notes": inner}


def _literal(field: str, literal: str) -> bytes:
    body = _system(**{field: "@@"})
    return json.dumps(body).replace('"@@"', literal).encode()


BAD_BODIES: dict[str, tuple[Any, int, str]] = {
    "body over the limit": (b'{"x": "' + b"a" * (300 * 1024) + b'"}', 413, "limit"),
    "deep nesting, as JSON": (b"[" * 100_000 + b"]" * 100_000, 400, "JSON"),
    "deep nesting, in a field": (_nested(500), 422, "notes"),
    "huge array of notes": ({**_good(), "notes": ["n"] * 10_000}, 422, "notes"),
    "huge array of GPUs": (
        _system(gpus=[{"name": "g", "vram_gb": 8, "backend": "CUDA"}] * 5000, gpu_count=5000),
        422,
        "gpus",
    ),
    "not UTF-8": (b'{"node_id": "\xff\xfe"}', 400, "UTF-8"),
    "NaN": (_literal("total_ram_gb", "NaN"), 422, "total_ram_gb"),
    "Infinity": (_literal("total_ram_gb", "Infinity"), 422, "total_ram_gb"),
    "negative": (_system(total_ram_gb=-1), 422, "total_ram_gb"),
    "1e308 GB": (_system(total_ram_gb=1e308, available_ram_gb=1.0), 422, "total_ram_gb"),
    "gpu_count 10^9": (
        _system(gpus=[{"name": "g", "vram_gb": 8, "backend": "CUDA", "count": 10**9}], gpu_count=10**9),
        422,
        "count",
    ),
    "node id with ../": ({**_good(), "node_id": "../../etc/passwd"}, 422, "node_id"),
    "node id with %00": ({**_good(), "node_id": "a%00b"}, 422, "node_id"),
    "node id with NUL": ({**_good(), "node_id": "a\x00b"}, 422, "node_id"),
    "node id of 10,000 characters": ({**_good(), "node_id": "a" * 10_000}, 422, "node_id"),
    "hostname of 10,000 characters": ({**_good(), "hostname": "h" * 10_000}, 422, "hostname"),
    "node id in unicode": ({**_good(), "node_id": "nœud-é"}, 422, "node_id"),
    "cpu name of 10,000 characters": (_system(cpu_name="c" * 10_000), 422, "cpu_name"),
}


@pytest.mark.parametrize("label", list(BAD_BODIES))
def test_bad_bodies_are_a_clear_4xx_and_store_nothing(client: Client, label: str) -> None:  # noqa: F811
    body, status, named = BAD_BODIES[label]
    for path in ("/api/v1/reports", f"/api/v1/nodes/{NODE}/reports"):
        got, _, reply = client.request("POST", path, body)
        assert got == status, (label, path, got, reply)
        assert isinstance(reply["error"], str) and named in reply["error"], (label, reply["error"][:300])
    assert client.request("GET", "/api/v1/nodes")[2]["nodes"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nodes/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/nodes/%00",
        "/api/v1/nodes/" + "a" * 10_000,
        "/api/v1/nodes/n%C5%93ud/history",
        "/api/v1/models/top?node=%00",
        "/api/v1/models/top?node=" + "a" * 10_000,
        "/api/v1/system?node=..%2F",
        "/api/v1/fleet/models/..%2F..%2Fx",
        "/api/v1/nodes?next_token=" + "A" * 10_000,
    ],
)
def test_odd_names_in_paths_and_queries_are_4xx(client: Client, path: str) -> None:  # noqa: F811
    status, _, reply = client.request("GET", path)
    assert 400 <= status < 500, (path[:80], status)
    assert isinstance(reply["error"], str)


def test_unicode_where_a_name_may_hold_it_is_kept_as_sent(client: Client) -> None:  # noqa: F811
    body = _system(cpu_name="Ryzen™ 9 — 日本語 ✓")
    assert client.request("POST", "/api/v1/reports", body)[0] == 201
    node = client.request("GET", f"/api/v1/nodes/{NODE}")[2]
    assert node["report"]["system"]["cpu_name"] == "Ryzen™ 9 — 日本語 ✓"
