"""What one ingest costs on AWS, before and after write amplification was cut, and the monthly bill for
1k / 10k / 100k nodes reporting every 15 minutes (docs/operations.md shows the output and the arithmetic).

    .venv/bin/python bench/ingest_cost.py [--runs 200]

Measured here: the DynamoDB requests each ingest makes (counted at the boto3 seam on moto), the size of each
item it writes (DynamoDB's sizing rules over the items the store really builds) and the handler's time per
ingest on this machine (SQLite store, real engine: the Lambda's CPU work without the network). Prices are
constants below, each with its source and the date it was read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from events import rest_event  # noqa: E402

# Prices, us-east-1, read 2026-12-02 from the AWS pricing pages named.
WRU_USD = 0.625 / 1e6  # DynamoDB on-demand write request unit (aws.amazon.com/dynamodb/pricing/on-demand/)
RRU_USD = 0.125 / 1e6  # DynamoDB on-demand read request unit (same page)
DDB_GB_MONTH_USD = 0.25  # DynamoDB Standard table storage per GB-month (same page)
PITR_GB_MONTH_USD = 0.20  # continuous backups (point-in-time recovery) per GB-month (same page)
APIGW_REQUEST_USD = 3.50 / 1e6  # REST API, first 333 million requests a month (aws.amazon.com/api-gateway/pricing/)
LAMBDA_GB_S_USD = (
    0.0000133334  # Lambda arm64 duration per GB-second, first 7.5 billion (aws.amazon.com/lambda/pricing/)
)
LAMBDA_REQUEST_USD = 0.20 / 1e6  # Lambda requests (same page)
LOGS_GB_USD = 0.50  # CloudWatch Logs standard ingestion per GB (aws.amazon.com/cloudwatch/pricing/)
XRAY_TRACE_USD = 5.00 / 1e6  # X-Ray traces recorded, after 100,000 free a month (aws.amazon.com/xray/pricing/)
# Deployment facts: template.yaml (1769 MB, 90 days of history), Powertools' default X-Ray sampling rule
# (1 request a second, then 5 %), and the two log lines the handler writes per ingest (~1.2 KB together).
MEMORY_GB = 1769 / 1024
HISTORY_DAYS = 90
LOG_BYTES_PER_INGEST = 1200
REPORTS_PER_NODE_MONTH = 4 * 24 * 30  # every 15 minutes, 30 days
HEARTBEATS_PER_NODE_MONTH = 30  # one history entry a day even when nothing changed
FLEETS = (1_000, 10_000, 100_000)
# A GSI item is its keys, the projected attributes and 100 bytes of index overhead (DynamoDB developer guide,
# "Item sizes and formats"); a GSI write whose key changes is a delete and a put.
GSI_OVERHEAD = 100


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers ~1 byte per 2 digits + 1)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, raw),) = value.items()
        size += len(str(raw).encode()) if kind == "S" else (len(str(raw)) + 1) // 2 + 1
    return size


def wru(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def rru(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


def dynamo_profile() -> dict[str, Any]:
    """Requests per ingest (counted) and the sizes of the items written, for a changed and an unchanged report."""
    import boto3
    from moto import mock_aws

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from fleetfit.store.base import StoredReport, iso
    from fleetfit.store.dynamodb import SUMMARY_ATTRS, TABLE_DEFINITION, DynamoStore
    from fleetfit.store.samples import rtx4090_workstation, sample_report

    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(TableName="bench", **TABLE_DEFINITION)
        store = DynamoStore("bench", client=client)
        calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))
        node = "i-0123456789abcdef0"
        store.put_report(sample_report(node, collected_at=t0), received_at=t0)
        calls.clear()
        changed = sample_report(node, collected_at=t0 + timedelta(minutes=15), hostname="renamed.example.com")
        store.put_report(changed, received_at=t0)
        changed_calls = dict(calls)
        calls.clear()
        assert store.put_report(sample_report(node, collected_at=t0 + timedelta(minutes=30),
                                              hostname="renamed.example.com"), received_at=t0).unchanged  # fmt: skip
        unchanged_calls = dict(calls)
        raw = client.get_item(TableName="bench", Key={"PK": {"S": f"NODE#{node}"}, "SK": {"S": "LATEST"}})["Item"]
    report = sample_report(node, system=rtx4090_workstation(), collected_at=t0)
    body = report.model_dump_json()
    latest = item_bytes(raw)
    stored = StoredReport(report=report, received_at=t0, hw_class=raw["hw_class"]["S"])
    latest_built = item_bytes(store._latest_put(stored, body, None)["Item"])
    history = item_bytes({
        "PK": {"S": f"NODE#{node}"}, "SK": {"S": f"REPORT#{iso(t0)}#{report.report_id}"},
        "report_id": {"S": report.report_id}, "collected_at": {"S": iso(t0)}, "received_at": {"S": iso(t0)},
        "hw_class": {"S": raw["hw_class"]["S"]}, "report": {"S": body}, "expires_at": {"N": "1800000000"},
    })  # fmt: skip
    guard = item_bytes({"PK": {"S": f"NODE#{node}"}, "SK": {"S": f"RID#{report.report_id}"},
                        "collected_at": {"S": iso(t0)}, "expires_at": {"N": "1800000000"}})  # fmt: skip
    summary = {k: v for k, v in raw.items() if k in SUMMARY_ATTRS}
    gsi_summary = item_bytes(summary) + GSI_OVERHEAD + 60  # + the index keys
    gsi_seen = item_bytes({"hw_class": raw["hw_class"]}) + GSI_OVERHEAD + 60
    return {
        "body_bytes": len(body.encode()),
        "latest_bytes": max(latest, latest_built),
        "history_bytes": history,
        "guard_bytes": guard,
        "gsi_summary_bytes": gsi_summary,
        "gsi_seen_bytes": gsi_seen,
        "changed_calls": changed_calls,
        "unchanged_calls": unchanged_calls,
    }


def units(p: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Write and read units of one ingest. Transactions bill each item twice (DynamoDB developer guide,
    "Capacity management for transactions"); index writes are not transactional. by_class and by_fleet
    project collected_at/report_id/received_at, so every new latest updates them; by_seen's key holds
    collected_at, so it is a delete and a put."""
    gsi = wru(p["gsi_summary_bytes"]) * 2 + wru(p["gsi_seen_bytes"]) * 2
    before = {
        "wru": 2 * (wru(p["guard_bytes"]) + wru(p["history_bytes"]) + wru(p["latest_bytes"])) + gsi,
        "rru": 0.5,  # the class digest read for the answer's top models (eventually consistent)
    }
    changed = {"wru": before["wru"], "rru": before["rru"] + rru(p["latest_bytes"], consistent=True)}
    unchanged = {"wru": wru(p["latest_bytes"]) + gsi, "rru": rru(p["latest_bytes"], consistent=True)}
    return {"before": before, "after_changed": changed, "after_unchanged": unchanged}


def handler_ms(runs: int) -> dict[str, float]:
    """Median handler time per ingest, envelope answer vs Prefer: return=minimal (SQLite, real engine)."""
    from fleetfit.api import services
    from fleetfit.api.handler import handle_event
    from fleetfit.api.settings import Settings
    from fleetfit.api.telemetry import set_metrics_enabled
    from fleetfit.store.samples import sample_report

    set_metrics_enabled(False)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        services.configure(services.build_services(Settings(auth_mode="local", db_path=f"{tmp}/fleet.db")))
        start = datetime.now(UTC) - timedelta(days=1)
        for label, headers in (("envelope", {}), ("minimal", {"Prefer": "return=minimal"})):
            times = []
            for i in range(runs + 1):
                report = sample_report(f"bench-{label}", collected_at=start + timedelta(seconds=i))
                event = rest_event("POST", "/api/v1/reports", body=report.model_dump_json())
                event["headers"].update(headers)
                t = time.perf_counter()
                reply = handle_event(event)
                times.append(time.perf_counter() - t)
                assert reply["statusCode"] == 201, reply
            out[label] = statistics.median(times[1:]) * 1000  # the first ranks the class once
        services.configure(None)
    return out


def monthly(nodes: int, per_ingest: dict[str, float], ms: float, history_entries: int) -> dict[str, float]:
    requests = nodes * REPORTS_PER_NODE_MONTH
    rps = requests / (30 * 86400)
    traces = max(0.0, (min(rps, 1) + max(rps - 1, 0) * 0.05) * 30 * 86400 - 100_000)
    stored_gb = nodes * history_entries * per_ingest["history_bytes"] / 1e9
    return {
        "api_gateway": requests * APIGW_REQUEST_USD,
        "lambda": requests * (LAMBDA_REQUEST_USD + MEMORY_GB * ms / 1000 * LAMBDA_GB_S_USD),
        "dynamodb_requests": requests * (per_ingest["wru"] * WRU_USD + per_ingest["rru"] * RRU_USD),
        "dynamodb_storage_pitr": stored_gb * (DDB_GB_MONTH_USD + PITR_GB_MONTH_USD),
        "logs": requests * LOG_BYTES_PER_INGEST / 1e9 * LOGS_GB_USD,
        "xray": traces * XRAY_TRACE_USD,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    profile = dynamo_profile()
    u = units(profile)
    ms = handler_ms(args.runs)
    print(json.dumps({"profile": profile, "units": u, "handler_ms": ms}, indent=2))
    daily = REPORTS_PER_NODE_MONTH / 30
    unchanged_share = 1 - HEARTBEATS_PER_NODE_MONTH / REPORTS_PER_NODE_MONTH  # nothing else changes
    after = {k: unchanged_share * u["after_unchanged"][k] + (1 - unchanged_share) * u["after_changed"][k]
             for k in ("wru", "rru")}  # fmt: skip
    scenarios = {
        "before": ({**u["before"], "history_bytes": profile["history_bytes"]}, ms["envelope"],
                   int(daily * HISTORY_DAYS)),
        "after": ({**after, "history_bytes": profile["history_bytes"]}, ms["minimal"], HISTORY_DAYS),
    }  # fmt: skip
    print(f"\nper ingest: before {u['before']['wru']:.0f} WRU; after, unchanged {u['after_unchanged']['wru']:.0f} WRU "
          f"+ {u['after_unchanged']['rru']:.0f} RRU (weighted {after['wru']:.2f} WRU)")  # fmt: skip
    print(f"{'nodes':>8} {'scenario':>8} " + " ".join(f"{k:>22}" for k in monthly(1, u["before"] | {"history_bytes": 1}, 1, 1))
          + f" {'total USD/month':>16}")  # fmt: skip
    for nodes in FLEETS:
        for name, (per, handler, entries) in scenarios.items():
            bill = monthly(nodes, per, handler, entries)
            print(
                f"{nodes:>8} {name:>8} "
                + " ".join(f"{v:>22.2f}" for v in bill.values())
                + f" {sum(bill.values()):>16.2f}"
            )


if __name__ == "__main__":
    main()
