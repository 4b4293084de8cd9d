"""Proof 4 of issue 11, idempotency and order: the same report posted 100 times at once is stored once; reports
arriving out of order never let an older one become the latest. On SQLite over HTTP (`fleetfit serve`) and on
DynamoDB (moto) through the Lambda handler. Moto is not thread-safe (its tables are dicts iterated without a
lock), so DynamoDB is driven one request at a time; its concurrency rests on the conditional transactions."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetfit.store.samples import sample_report

from .support import Call, node_identity
from .test_local_server import Client, client, server  # noqa: F401  (fixtures)

NODE = "i-0123456789abcdef0"


def _series(node: str, n: int) -> list[Any]:
    base = datetime.now(UTC) - timedelta(hours=1)
    # each a change of content (its hostname), so history keeps every one (an unchanged report only moves the latest)
    return [
        sample_report(node, collected_at=base + timedelta(minutes=i), report_id=f"order-{i:04d}", hostname=f"h-{i}")
        for i in range(n)
    ]


def test_same_report_100_times_at_once_over_http(client: Client) -> None:  # noqa: F811
    body = sample_report("lab-1").model_dump(mode="json")
    with ThreadPoolExecutor(20) as pool:
        statuses = Counter(pool.map(lambda _: client.request("POST", "/api/v1/reports", body)[0], range(100)))
    assert statuses == {201: 1, 200: 99}
    history = client.request("GET", "/api/v1/nodes/lab-1/history")[2]
    assert len(history["reports"]) == 1


def test_out_of_order_never_makes_an_older_report_latest_over_http(client: Client) -> None:  # noqa: F811
    reports = _series("lab-2", 30)
    shuffled = random.Random(11).sample(reports, len(reports))
    with ThreadPoolExecutor(10) as pool:
        statuses = list(
            pool.map(lambda r: client.request("POST", "/api/v1/reports", r.model_dump(mode="json"))[0], shuffled)
        )
    assert statuses == [201] * 30
    node = client.request("GET", "/api/v1/nodes/lab-2")[2]
    assert node["report_id"] == "order-0029"
    history = client.request("GET", "/api/v1/nodes/lab-2/history?limit=100")[2]["reports"]
    assert [h["report"]["report_id"] for h in history] == [f"order-{i:04d}" for i in reversed(range(30))]


def test_same_report_100_times_through_the_lambda_handler(call: Call) -> None:
    body = sample_report(NODE).model_dump(mode="json")
    statuses = Counter(
        call("POST", "/api/v1/reports", body=body, identity=node_identity(NODE)).status for _ in range(100)
    )
    assert statuses == {201: 1, 200: 99}
    assert len(call("GET", f"/api/v1/nodes/{NODE}/history").body["reports"]) == 1


def test_out_of_order_through_the_lambda_handler(call: Call) -> None:
    reports = random.Random(5).sample(_series(NODE, 20), 20)
    for r in reports:
        assert (
            call("POST", "/api/v1/reports", body=r.model_dump(mode="json"), identity=node_identity(NODE)).status == 201
        )
        latest = call("GET", f"/api/v1/nodes/{NODE}").body["report_id"]
        assert latest == max(x.report_id for x in reports[: reports.index(r) + 1])  # never moves back
    assert call("GET", f"/api/v1/nodes/{NODE}").body["report_id"] == "order-0019"
