"""Fleet benchmark: realistic fleets of thousands of nodes; fleet-route latencies on the embedded store and
DynamoDB requests per fleet route for two fleet sizes with the same hardware classes.

    .venv/bin/python bench/fleet_bench.py [--nodes 10000] [--runs 200] [--dynamo 1000,10000] [--api-ingest 100]

The generator draws every GPU from the engine's GPU table (``hardware_tables.GPU_SPECS``): consumer
desktops, workstations, datacenter servers with 1-8 cards, Apple Silicon, CPU-only x86 and ARM boxes, each
with the RAM such machines ship with; reported RAM is a little under nominal and available RAM carries
per-node noise (so one configuration spans a few RAM buckets, as in a real fleet); 2 % of the nodes are
stale. Latencies are measured through ``handle_event`` (the Lambda's entry; `fleetfit serve` calls it too)
on SQLite with the bundled catalog. Target (issue 5): p99 <= 300 ms at 10,000 nodes. The DynamoDB part
counts requests on moto (nodes seeded with ``seed_nodes``; moto's own speed means nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from urllib.parse import quote

from events import rest_event  # noqa: E402
from fleetfit.contract import Gpu, Report, System

MODELS = (  # what operators ask about: small to huge, dense and MoE
    "Qwen/Qwen3-8B",
    "meta-llama/Llama-3.1-8B-Instruct",
    "Qwen/Qwen3-30B-A3B",
    "openai/gpt-oss-20b",
    "openai/gpt-oss-120b",
    "google/gemma-3-27b-it",
    "meta-llama/Llama-3.3-70B-Instruct",
    "Qwen/Qwen3-235B-A22B",
    "deepseek-ai/DeepSeek-V3",
    "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
)
FILTERS: tuple[dict[str, str], ...] = (
    {},
    {},
    {"include_stale": "false"},
    {"gpu": "4090"},
    {"backend": "cpu"},
    {"min_fit": "good", "sort": "score"},
)

X86_DESKTOP = ("AMD Ryzen 9 7950X 16-Core Processor", 32)
X86_DESKTOP_INTEL = ("13th Gen Intel(R) Core(TM) i9-13900K", 32)
X86_WORKSTATION = ("AMD Ryzen Threadripper PRO 5975WX 32-Cores", 64)
X86_SERVER = ("AMD EPYC 9654 96-Core Processor", 384)
X86_SERVER_INTEL = ("Intel(R) Xeon(R) Platinum 8480+", 224)
X86_CLOUD = ("AMD EPYC 7R32", 48)
ARM_SERVER = ("Neoverse-V1", 64)


@dataclass(frozen=True)
class Config:
    """One machine configuration of the fleet; `weight` is its share of the nodes."""

    gpu: str | None  # GPU_SPECS key
    count: int
    ram_gb: int  # nominal
    cpu: tuple[str, int]
    weight: float
    used: float = 0.2  # typical share of RAM in use


CONFIGS = (
    # consumer desktops
    Config("nvidia-rtx-3060", 1, 32, X86_DESKTOP_INTEL, 6),
    Config("nvidia-rtx-3090", 1, 64, X86_DESKTOP, 6),
    Config("nvidia-rtx-3090", 2, 128, X86_WORKSTATION, 2),
    Config("nvidia-rtx-4060-ti-16gb", 1, 32, X86_DESKTOP_INTEL, 4),
    Config("nvidia-rtx-4070", 1, 32, X86_DESKTOP, 4),
    Config("nvidia-rtx-4080", 1, 64, X86_DESKTOP_INTEL, 4),
    Config("nvidia-rtx-4090", 1, 64, X86_DESKTOP, 10),
    Config("nvidia-rtx-4090", 1, 128, X86_DESKTOP, 4),
    Config("nvidia-rtx-5090", 1, 64, X86_DESKTOP, 4),
    Config("amd-rx-7900-xtx", 1, 64, X86_DESKTOP, 2),
    # workstations
    Config("nvidia-rtx-a6000", 2, 256, X86_WORKSTATION, 2),
    Config("nvidia-rtx-6000-ada", 4, 512, X86_WORKSTATION, 1),
    Config("nvidia-rtx-a4000", 1, 64, X86_WORKSTATION, 2),
    # datacenter
    Config("nvidia-t4", 1, 64, X86_CLOUD, 4, 0.3),
    Config("nvidia-a10g", 1, 128, X86_CLOUD, 4, 0.3),
    Config("nvidia-l4", 1, 128, X86_CLOUD, 3, 0.3),
    Config("nvidia-l40s", 4, 512, X86_SERVER, 2, 0.3),
    Config("nvidia-a100-40gb", 8, 1024, X86_SERVER, 2, 0.3),
    Config("nvidia-a100-sxm4-80gb", 8, 2048, X86_SERVER, 3, 0.3),
    Config("nvidia-h100-sxm", 8, 2048, X86_SERVER_INTEL, 4, 0.3),
    Config("nvidia-h100-pcie", 2, 512, X86_SERVER, 2, 0.3),
    Config("nvidia-h200-sxm", 8, 2048, X86_SERVER_INTEL, 1, 0.3),
    Config("nvidia-v100-32gb", 4, 512, X86_SERVER_INTEL, 1, 0.3),
    Config("amd-instinct-mi300x", 8, 2048, X86_SERVER, 1, 0.3),
    Config("amd-instinct-mi250x", 4, 1024, X86_SERVER, 1, 0.3),
    # Apple Silicon (unified memory: the machine's RAM)
    Config("apple-m1-max", 1, 64, ("Apple M1 Max", 10), 2, 0.35),
    Config("apple-m2-max", 1, 96, ("Apple M2 Max", 12), 2, 0.35),
    Config("apple-m2-ultra", 1, 192, ("Apple M2 Ultra", 24), 1, 0.35),
    Config("apple-m3-pro", 1, 36, ("Apple M3 Pro", 12), 2, 0.35),
    Config("apple-m3-max", 1, 128, ("Apple M3 Max", 16), 2, 0.35),
    Config("apple-m4-pro", 1, 48, ("Apple M4 Pro", 14), 2, 0.35),
    Config("apple-m4-max", 1, 128, ("Apple M4 Max", 16), 1, 0.35),
    # CPU only
    Config(None, 0, 32, X86_DESKTOP_INTEL, 3),
    Config(None, 0, 64, X86_CLOUD, 3, 0.3),
    Config(None, 0, 256, X86_SERVER, 2, 0.3),
    Config(None, 0, 128, ARM_SERVER, 2, 0.3),
)


def _system(config: Config, rng: random.Random) -> System:
    from fleetfit.engine.hardware_tables import GPU_SPECS

    total = round(config.ram_gb * 0.98, 2)  # firmware and kernel keep a little; identical machines, identical total
    used = min(0.9, max(0.02, rng.gauss(config.used, 0.03)))
    available = round(total * (1.0 - used), 2)
    cpu_name, cores = config.cpu
    if config.gpu is None:
        backend = "CPU (ARM)" if config.cpu is ARM_SERVER else "CPU (x86)"
        return System(
            total_ram_gb=total,
            available_ram_gb=available,
            cpu_cores=cores,
            cpu_name=cpu_name,
            has_gpu=False,
            gpu_vram_gb=None,
            gpu_name=None,
            gpu_count=0,
            unified_memory=False,
            backend=backend,
            gpus=[],
        )
    spec = next(s for s in GPU_SPECS if s.key == config.gpu)
    unified = spec.unified
    if unified:
        name, vram, backend = cpu_name, total, "Metal"
    else:
        name = ("NVIDIA " if spec.vendor == "NVIDIA" else "AMD " if spec.vendor == "AMD" else "") + spec.name
        vram = round((spec.vram_gb or 0.0) * 0.996, 2)  # what drivers report
        backend = "CUDA" if spec.vendor == "NVIDIA" else "ROCm"
    gpu = Gpu(name=name, vram_gb=vram, backend=backend, count=config.count, unified_memory=unified)
    return System(
        total_ram_gb=total,
        available_ram_gb=available,
        cpu_cores=cores,
        cpu_name=cpu_name,
        has_gpu=True,
        gpu_vram_gb=round(vram * config.count, 2),
        gpu_name=name,
        gpu_count=config.count,
        unified_memory=unified,
        backend=backend,
        gpus=[gpu],
    )


def make_fleet(nodes: int, now: datetime, seed: int = 5, prefix: str = "node") -> list[Report]:
    """`nodes` reports of a realistic fleet (deterministic for a seed); 2 % of the nodes are stale."""
    rng = random.Random(seed)
    weights = [c.weight for c in CONFIGS]
    reports = []
    for i in range(nodes):
        config = rng.choices(CONFIGS, weights)[0]
        stale = rng.random() < 0.02
        age = timedelta(days=rng.uniform(3, 20)) if stale else timedelta(minutes=rng.uniform(1, 360))
        node = f"{prefix}-{i:06d}"
        reports.append(
            Report(
                node_id=node,
                report_id=f"{node}-{seed}",
                probe_version="0.1.0",
                collected_at=now - age,
                hostname=f"{node}.fleet",
                os="macos" if config.cpu[0].startswith("Apple") else "linux",
                system=_system(config, rng),
            )
        )
    return reports


def subfleet(reports: list[Report], size: int, seed: int = 7) -> list[Report]:
    """`size` of the reports with every hardware class of the whole fleet still present."""
    from fleetfit.store import hardware_class

    first: dict[str, Report] = {}
    for r in reports:
        first.setdefault(hardware_class(r.system), r)
    chosen = {r.node_id for r in first.values()}
    rest = [r for r in reports if r.node_id not in chosen]
    random.Random(seed).shuffle(rest)
    picked = list(first.values()) + rest[: max(0, size - len(first))]
    return sorted(picked, key=lambda r: r.node_id)


# -- measuring ----------------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(_pct(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "runs": len(values),
    }


def _requests(rng: random.Random, node_ids: list[str], runs: int) -> dict[str, list[dict[str, Any]]]:
    """The mix of requests each fleet route is timed with."""
    which = []
    for _ in range(runs):
        query = {"limit": "100", **rng.choice(FILTERS)}
        which.append(rest_event("GET", "/api/v1/fleet/models/" + rng.choice(MODELS), query))
    compare = []
    for i in range(runs):
        query = {"nodes": ",".join(rng.sample(node_ids, 3))}
        if i % 2:
            query["model"] = rng.choice(MODELS)
        compare.append(rest_event("GET", "/api/v1/fleet/compare", query))
    summary = [rest_event("GET", "/api/v1/fleet/summary") for _ in range(runs)]
    place = [
        rest_event("POST", "/api/v1/fleet/placement", body=json.dumps({"model": rng.choice(MODELS), "replicas": 10}))
        for _ in range(runs)
    ]
    return {"fleet/models/{name}": which, "fleet/compare": compare, "fleet/summary": summary, "fleet/placement": place}


def embedded(reports: list[Report], runs: int, api_ingest: int, now: datetime) -> dict[str, Any]:
    from fleetfit.api import services
    from fleetfit.api.handler import handle_event
    from fleetfit.api.settings import Settings
    from fleetfit.api.telemetry import logger, set_metrics_enabled
    from fleetfit.engine.analyze import forget_pools_analyses
    from fleetfit.engine.query import forget_rankings
    from fleetfit.fleet.service import forget_digests

    logger.setLevel("WARNING")
    set_metrics_enabled(False)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(auth_mode="local", db_path=str(Path(tmp) / "fleet.db"), max_response_bytes=None)
        services.configure(services.build_services(settings))
        svc = services.current()
        svc.now = lambda: now
        svc.catalogs.current()  # the catalog is loaded at start (warm_up), as the server and the Lambda do
        store = svc.store

        started = time.perf_counter()
        for r in reports:
            store.put_report(r, received_at=now)
        took = time.perf_counter() - started
        out["ingest_store"] = {
            "reports": len(reports),
            "seconds": round(took, 2),
            "reports_per_s": round(len(reports) / took),
        }
        out["classes"] = sum(1 for c in store.classes() if c.nodes > 0)

        # The first summary under a catalog evaluates every class (a full ranking each), within the per-request
        # budget; classes beyond it are 'pending' and the next requests evaluate them. Nothing is kept from the
        # ingest above (digests, rankings, analyses per GPU pools), as in a container that has just loaded it.
        forget_digests()
        forget_rankings()
        forget_pools_analyses()
        started, calls = time.perf_counter(), 0
        while True:
            calls += 1
            reply = handle_event(rest_event("GET", "/api/v1/fleet/summary"))
            assert reply["statusCode"] == 200, reply
            if json.loads(reply["body"])["classes"]["pending"] == 0:
                break
        out["summary_first_evaluation"] = {"seconds": round(time.perf_counter() - started, 1), "requests": calls}
        summary = json.loads(reply["body"])

        rng = random.Random(11)
        node_ids = [r.node_id for r in reports]
        for route, events in _requests(rng, node_ids, runs).items():
            handle_event(events[0])  # first use of the route's code paths
            times = []
            for event in events:
                t = time.perf_counter()
                reply = handle_event(event)
                times.append(time.perf_counter() - t)
                assert reply["statusCode"] == 200, (event["path"], reply["body"][:300])
            out[route] = _stats(times)

        # A fresh process (another Lambda container): digests come from the store, not from memory.
        times = []
        for _ in range(max(5, runs // 10)):
            forget_digests()
            t = time.perf_counter()
            handle_event(rest_event("GET", "/api/v1/fleet/summary"))
            times.append(time.perf_counter() - t)
        out["fleet/summary, digests read from the store"] = _stats(times)

        # Ingest through the API: stores the report and answers with the node's top models (the class's
        # ranking: computed when this process has not ranked that class recently).
        extra = make_fleet(api_ingest, now, seed=99, prefix="api")
        times = []
        started = time.perf_counter()
        for r in extra:
            t = time.perf_counter()
            reply = handle_event(
                rest_event("POST", f"/api/v1/nodes/{quote(r.node_id)}/reports", body=r.model_dump_json())
            )
            times.append(time.perf_counter() - t)
            assert reply["statusCode"] == 201, reply
        took = time.perf_counter() - started
        out["ingest_api"] = {"reports": len(extra), "reports_per_s": round(len(extra) / took, 1), **_stats(times)}
        services.configure(None)
    out["summary"] = summary
    return out


def dynamo(reports: list[Report], sizes: list[int], now: datetime) -> dict[int, dict[str, dict[str, int]]]:
    import boto3
    from fleetfit.api import services
    from fleetfit.api.handler import handle_event
    from fleetfit.api.settings import Settings
    from fleetfit.fleet.service import forget_digests
    from fleetfit.store.dynamodb import TABLE_DEFINITION, seed_nodes
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1")
    counts: dict[int, dict[str, dict[str, int]]] = {}
    for size in sizes:
        fleet = subfleet(reports, size)
        with mock_aws():
            client = boto3.client("dynamodb", region_name="eu-west-1")
            client.create_table(TableName="fleet-bench", **TABLE_DEFINITION)
            settings = Settings(table_name="fleet-bench", auth_mode="local", max_response_bytes=None)
            services.configure(services.build_services(settings, dynamodb_client=client))
            svc = services.current()
            svc.now = lambda: now
            seed_nodes(svc.store, fleet, received_at=now)  # type: ignore[arg-type]
            ops: Counter[str] = Counter()

            def count(model: Any, ops: Counter[str] = ops, **_: Any) -> None:
                ops.update([model.name])

            client.meta.events.register("before-call.dynamodb", count)
            node_ids = [fleet[0].node_id, fleet[len(fleet) // 2].node_id, fleet[-1].node_id]
            # Warm-up, not counted: every class's digest computed (or taken from memory) and written once.
            while json.loads(handle_event(rest_event("GET", "/api/v1/fleet/summary"))["body"])["classes"]["pending"]:
                pass
            routes = {
                "fleet/summary (new process: digests from the store)": rest_event("GET", "/api/v1/fleet/summary"),
                "fleet/summary": rest_event("GET", "/api/v1/fleet/summary"),
                "fleet/models/{name}, page 1 (100 nodes)": rest_event(
                    "GET", "/api/v1/fleet/models/Qwen/Qwen3-8B", {"limit": "100"}
                ),
                "fleet/models/{name}, fresh only": rest_event(
                    "GET", "/api/v1/fleet/models/Qwen/Qwen3-8B", {"limit": "100", "include_stale": "false"}
                ),
                "fleet/compare (3 nodes, top 5)": rest_event(
                    "GET", "/api/v1/fleet/compare", {"nodes": ",".join(node_ids)}
                ),
                "fleet/placement (10 replicas)": rest_event(
                    "POST", "/api/v1/fleet/placement", body=json.dumps({"model": "Qwen/Qwen3-8B", "replicas": 10})
                ),
            }
            counts[size] = {}
            for label, event in routes.items():
                if label.startswith("fleet/summary (new process"):
                    forget_digests()
                ops.clear()
                reply = handle_event(event)
                assert reply["statusCode"] == 200, reply
                counts[size][label] = dict(ops)
            services.configure(None)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200, help="timed requests per route")
    parser.add_argument("--dynamo", default="1000,10000", help="fleet sizes for the DynamoDB request counts ('' skips)")
    parser.add_argument("--api-ingest", type=int, default=100, help="reports ingested through the API")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    from fleetfit.api.telemetry import logger

    logger.setLevel("WARNING")
    now = datetime.now(UTC).replace(microsecond=0)
    reports = make_fleet(args.nodes, now)
    figures: dict[str, Any] = {"nodes": len(reports), "configurations": len(CONFIGS)}
    figures["embedded"] = embedded(reports, args.runs, args.api_ingest, now)
    sizes = [int(s) for s in args.dynamo.split(",") if s.strip()]
    if sizes:
        figures["dynamodb_requests"] = dynamo(reports, sizes, now)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0

    e = figures["embedded"]
    s = e["summary"]
    print(
        f"fleet: {figures['nodes']} nodes, {figures['configurations']} machine configurations -> {e['classes']} "
        f"hardware classes (available RAM bucketed); {s['nodes']['stale']} stale"
    )
    gpus = ", ".join(f"{g['cards']}x {g['name']}" for g in s["gpus"][:6])
    print(f"  GPUs: {sum(g['cards'] for g in s['gpus'])} cards ({gpus}, ...); backends: "
          + ", ".join(f"{b['backend']} {b['nodes']}" for b in s["backends"]))  # fmt: skip
    ing = e["ingest_store"]
    print(
        f"ingest, embedded store (put_report): {ing['reports_per_s']} reports/s ({ing['reports']} in {ing['seconds']} s)"
    )
    api = e["ingest_api"]
    print(
        f"ingest through the API (answer = the node's top models): {api['reports_per_s']} reports/s, "
        f"p50 {api['p50_ms']} ms, p99 {api['p99_ms']} ms ({api['reports']} reports, new classes ranked on first use)"
    )
    first = e["summary_first_evaluation"]
    print(
        f"first fleet/summary under a catalog: every class evaluated in {first['seconds']} s over "
        f"{first['requests']} request(s) (per-request budget; then kept per class in memory and in the store)"
    )
    print(f"latency at {figures['nodes']} nodes (handle_event, SQLite, warm; target p99 <= 300 ms):")
    for route in ("fleet/models/{name}", "fleet/summary", "fleet/compare", "fleet/placement",
                  "fleet/summary, digests read from the store"):  # fmt: skip
        st = e[route]
        verdict = "ok" if st["p99_ms"] <= 300 else "OVER"
        print(f"  {route:45s} p50 {st['p50_ms']:7.1f} ms   p99 {st['p99_ms']:7.1f} ms   ({st['runs']} runs) {verdict}")
    if sizes:
        counts = figures["dynamodb_requests"]
        print("DynamoDB requests per route (moto), same hardware classes:")
        labels = list(counts[sizes[0]])
        print("  " + f"{'route':55s}" + "".join(f"{f'{n} nodes':>28s}" for n in sizes))
        for label in labels:
            cells = ["+".join(f"{v} {k}" for k, v in sorted(counts[n][label].items())) or "-" for n in sizes]
            print("  " + f"{label:55s}" + "".join(f"{c:>28s}" for c in cells))

        def total(n: int, label: str) -> int:
            return sum(counts[n][label].values())

        grows = [label for label in labels if any(total(n, label) > total(sizes[0], label) for n in sizes[1:])]
        print(
            "  routes that make more requests with more nodes: "
            + (", ".join(grows) if grows else "none")
            + "\n  (a page of nodes costs one query per class it spans: fewer when the classes hold more nodes)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
