"""Fleet routes on DynamoDB: the requests each one makes depend on the number of hardware classes and of
result pages, not on the number of nodes — counted for two fleet sizes with the same classes."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fleetfit.api.services import Services
from fleetfit.contract import System
from fleetfit.fleet.service import forget_digests
from fleetfit.store.dynamodb import seed_nodes
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, h100_server, rtx4090_workstation, sample_report

from .support import Call, Clock

SMALL = "Qwen/Qwen3-8B"


def classes() -> list[System]:
    rtx = rtx4090_workstation()
    cpu = cpu_only_x86()
    return [
        rtx,
        rtx.model_copy(update={"total_ram_gb": 125.7, "available_ram_gb": 110.0}),
        h100_server(),
        apple_m3_max(),
        cpu,
        cpu.model_copy(update={"total_ram_gb": 62.8, "available_ram_gb": 50.0}),
    ]


def grow(svc: Services, clock: Clock, start: int, per_class: int) -> None:
    """Add nodes start..per_class-1 to every class (seeded straight into the table); one in ten is stale."""
    reports = []
    for k, system in enumerate(classes()):
        for i in range(start, per_class):
            age = timedelta(days=3) if i % 10 == 9 else timedelta(minutes=5)
            reports.append(sample_report(f"c{k}-n{i:04d}", system=system, collected_at=clock.now - age))
    seed_nodes(svc.store, reports, received_at=clock.now)  # type: ignore[arg-type]


def requests(svc: Services, call: Call, nodes: list[str], *, first: bool) -> dict[str, Counter[str]]:
    ops: Counter[str] = Counter()
    client = svc.store.client  # type: ignore[attr-defined]
    client.meta.events.register("before-call.dynamodb", lambda model, **_: ops.update([model.name]))
    out: dict[str, Counter[str]] = {}

    def measure(label: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        ops.clear()
        r = call(method, path, **kwargs)
        assert r.status == 200, r.body
        out[label] = Counter(ops)
        return r.body  # type: ignore[no-any-return]

    forget_digests()
    svc.caches.pop("calibration", None)  # each fleet size fits its classes' corrections afresh
    if first:  # the classes have no digest yet: the summary computes and stores one per class
        measure("summary (digests computed and stored)", "GET", "/api/v1/fleet/summary")
        forget_digests()
    measure("summary (digests read from the store)", "GET", "/api/v1/fleet/summary")
    measure("summary", "GET", "/api/v1/fleet/summary")
    first = measure("which, page 1", "GET", f"/api/v1/fleet/models/{SMALL}", query={"limit": "5"})
    measure("which, page 2", "GET", f"/api/v1/fleet/models/{SMALL}",
            query={"limit": "5", "next_token": first["next_token"]})  # fmt: skip
    measure("which, fresh only", "GET", f"/api/v1/fleet/models/{SMALL}", query={"limit": "5", "include_stale": "false"})
    measure("compare, one model", "GET", "/api/v1/fleet/compare", query={"nodes": ",".join(nodes), "model": SMALL})
    measure("compare, top 5", "GET", "/api/v1/fleet/compare", query={"nodes": ",".join(nodes), "limit": "5"})
    measure("placement", "POST", "/api/v1/fleet/placement", body={"model": SMALL, "replicas": 5})
    return out


@pytest.mark.parametrize("sizes", [(10, 100)])
def test_requests_grow_with_classes_and_pages_not_nodes(
    call: Call, lambda_services: Services, clock: Clock, sizes: tuple[int, int]
) -> None:
    if lambda_services.engine.fleet is None:
        pytest.skip("fleet routes need the real engine")
    compared = ["c0-n0000", "c3-n0001", "c4-n0002"]
    grow(lambda_services, clock, 0, sizes[0])
    small = requests(lambda_services, call, compared, first=True)
    grow(lambda_services, clock, sizes[0], sizes[1])
    big = requests(lambda_services, call, compared, first=False)
    assert call("GET", "/api/v1/fleet/summary").body["nodes"]["total"] == 6 * sizes[1]

    computed = small.pop("summary (digests computed and stored)")
    assert computed == {"Query": 2, "UpdateItem": len(classes())}
    assert big == small  # ten times the nodes, the same requests
    assert small["summary (digests read from the store)"] == {"Query": 2}  # classes (with digests), stale nodes
    assert small["summary"] == {"Query": 2}
    # classes, stale counts, one page of the fastest class, the page's latest reports (measured speeds); the
    # first page also reads its class's peers once (one index page, <= 200 nodes) to fit the correction
    assert small["which, page 1"] == {"Query": 4, "BatchGetItem": 2}
    assert small["which, page 2"] == {"Query": 3, "BatchGetItem": 1}
    assert small["which, fresh only"] == {"Query": 3, "BatchGetItem": 1}
    assert small["compare, one model"] == {"BatchGetItem": 1}
    assert small["compare, top 5"] == {"BatchGetItem": 1}  # digests of the three classes: in memory
    assert small["placement"] == {"Query": 3, "BatchGetItem": 1}  # + the replicas' latest reports
    assert all("Scan" not in c for c in small.values())
