"""Fleet digests are precomputed when a catalog is published (the bucket's EventBridge event reaches the
function), so the first summaries after a publish read digests instead of each spending its own budget."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from fleetfit.api.handler import lambda_handler
from fleetfit.fleet.service import Fleet, forget_digests
from fleetfit.store.samples import cpu_only_x86, h100_server, rtx4090_workstation, sample_report

from .support import BUCKET, CATALOG_KEY, Call, FakeContext, node_identity, report_nodes


def _published(key: str = CATALOG_KEY) -> dict[str, Any]:
    return {
        "version": "0",
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 1}, "reason": "PutObject"},
    }


def test_a_published_catalog_has_every_class_digest_before_the_first_summary(
    call: Call, lambda_services: Any, aws: dict[str, Any], catalog_bytes: bytes
) -> None:
    if lambda_services.engine.fleet is None:
        pytest.skip("digests need the real engine")
    report_nodes(call, (rtx4090_workstation(), h100_server(), cpu_only_x86()), "i-0pub")
    doc = json.loads(gzip.decompress(catalog_bytes))
    doc["models"] = doc["models"][:-1]  # another catalog: one model fewer
    aws["s3"].put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=gzip.compress(json.dumps(doc).encode()))
    lambda_services.settings.fleet_eval_budget_s = 0.0  # a summary that may evaluate nothing itself

    ignored = lambda_handler(_published("catalog/other.json"), FakeContext())
    assert ignored["computed"] == 0 and "ignored" in ignored
    done = lambda_handler(_published(), FakeContext())
    assert done["computed"] == 3 and done["pending"] == 0
    new_version = done["catalog_version"]
    assert {c.digest_version for c in lambda_services.store.classes(digests=True)} == {new_version}

    forget_digests()  # as in another container
    summary = call("GET", "/api/v1/fleet/summary").body
    assert summary["catalog_version"] == new_version
    assert summary["classes"] == {"total": 3, "evaluated": 3, "pending": 0}


def test_without_the_publish_event_the_summary_leaves_classes_pending(
    call: Call, lambda_services: Any, aws: dict[str, Any], catalog_bytes: bytes
) -> None:
    """The control: the same new catalog, no event; a summary with no budget evaluates nothing."""
    if lambda_services.engine.fleet is None:
        pytest.skip("digests need the real engine")
    node = "i-0pub9"
    call("POST", "/api/v1/reports", body=sample_report(node).model_dump(mode="json"), identity=node_identity(node))
    doc = json.loads(gzip.decompress(catalog_bytes))
    doc["models"] = doc["models"][:-1]
    aws["s3"].put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=gzip.compress(json.dumps(doc).encode()))
    lambda_services.catalogs.refresh_now()
    lambda_services.settings.fleet_eval_budget_s = 0.0
    forget_digests()
    assert call("GET", "/api/v1/fleet/summary").body["classes"]["pending"] == 1


def test_classes_with_the_same_cards_are_precomputed_in_turn(
    call: Call, lambda_services: Any, aws: dict[str, Any], catalog_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So that they share the analyses that read only the cards (engine analyze_all keeps a few card sets)."""
    if lambda_services.engine.fleet is None:
        pytest.skip("digests need the real engine")
    # interleaved: 4090, H100, CPU, 4090, H100, CPU, each with its own RAM (its own class)
    systems = [
        make().model_copy(update={"total_ram_gb": 40.0 + 24 * i + j, "available_ram_gb": 30.0 + 20 * i + j})
        for i in range(2)
        for j, make in enumerate((rtx4090_workstation, h100_server, cpu_only_x86))
    ]
    report_nodes(call, systems, "i-0card")
    doc = json.loads(gzip.decompress(catalog_bytes))
    doc["models"] = doc["models"][:-1]  # a new catalog: every class needs its digest again
    aws["s3"].put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=gzip.compress(json.dumps(doc).encode()))
    computed: list[tuple[str, ...]] = []
    real_digest = Fleet.digest

    def recording(self: Fleet, hw_class: str, system: Any, stored: Any = None) -> Any:
        computed.append(tuple(g.name for g in system.gpus))
        return real_digest(self, hw_class, system, stored)

    monkeypatch.setattr(Fleet, "digest", recording)
    done = lambda_handler(_published(), FakeContext())
    assert done["computed"] == 6 and done["pending"] == 0
    runs = [cards for k, cards in enumerate(computed) if k == 0 or cards != computed[k - 1]]
    assert len(runs) == 3, computed  # each card set once, its classes together
