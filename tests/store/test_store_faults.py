"""Store faults found by attacking the API (issue 11): each on both stores where it applies."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fleetfit.contract import STORED, Report
from fleetfit.store import ReportConflict, ReportRefused, Store, StoreError
from fleetfit.store.base import iso, parse_iso
from fleetfit.store.dynamodb import DynamoStore
from fleetfit.store.samples import cpu_only_x86, h100_server, sample_report
from fleetfit.store.sqlite import SqliteStore

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_timestamps_are_fixed_width_so_string_order_is_time_order() -> None:
    early, late = datetime(999, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    assert iso(early) == "0999-06-01T00:00:00.000000Z"
    assert len(iso(early)) == len(iso(late)) and iso(early) < iso(late)
    assert parse_iso(iso(early)) == early


# -- a duplicate report id with another body: 409 on both stores -------------------------------------------


def test_same_id_with_another_body_is_a_conflict_and_changes_nothing(store: Store) -> None:
    first = sample_report("n1", collected_at=T0, report_id="r-00000001", system=h100_server())
    store.put_report(first, received_at=T0)
    other = sample_report("n1", collected_at=T0 + timedelta(minutes=1), report_id="r-00000001", system=cpu_only_x86())
    with pytest.raises(ReportConflict, match="r-00000001"):
        store.put_report(other, received_at=T0 + timedelta(minutes=2))
    latest = store.latest("n1")
    assert latest is not None and latest.report == first
    assert [h.report for h in store.history("n1", limit=10).items] == [first]
    # the same body again is still an idempotent retry
    assert store.put_report(first, received_at=T0 + timedelta(minutes=3)).outcome == "duplicate"


def test_same_id_with_another_body_of_an_older_report_is_a_conflict(store: Store) -> None:
    store.put_report(sample_report("n1", collected_at=T0), received_at=T0)
    old = sample_report("n1", collected_at=T0 - timedelta(hours=1), report_id="r-00000002")
    assert store.put_report(old, received_at=T0).outcome == "older"
    changed = old.model_copy(update={"hostname": "elsewhere"})
    with pytest.raises(ReportConflict):
        store.put_report(changed, received_at=T0)


def test_the_digest_is_stored_with_the_id(store: Store) -> None:
    report = sample_report("n1", collected_at=T0, report_id="r-00000003")
    store.put_report(report, received_at=T0)
    digest = hashlib.sha256(report.model_dump_json().encode()).hexdigest()
    if isinstance(store, SqliteStore):
        (stored,) = store._db.execute("SELECT digest FROM reports WHERE report_id = 'r-00000003'").fetchone()
    else:
        assert isinstance(store, DynamoStore)
        key = {"PK": {"S": "NODE#n1"}, "SK": {"S": "RID#r-00000003"}}
        stored = store.client.get_item(TableName=store.table, Key=key)["Item"]["digest"]["S"]
    assert stored == digest


# -- SQLite: any exception inside the write transaction rolls it back ----------------------------------------
def test_a_non_sqlite_error_inside_the_transaction_leaves_no_transaction_open(tmp_path: Any) -> None:
    store = SqliteStore(tmp_path / "fleet.db")
    good = sample_report("n1", collected_at=T0)
    # a count SQLite cannot hold as INTEGER: OverflowError, not sqlite3.Error (the contract bounds it today)
    system = good.system.model_copy(update={"gpu_count": 10**20})
    bad = good.model_copy(update={"system": system, "report_id": "r-bad00001"})
    with pytest.raises(ReportRefused):  # the backend seam: the class is computed before, from a valid System
        store._put(bad, received_at=T0, hw_class="k", class_json=good.system.model_dump_json())
    assert not store._db.in_transaction
    innocent = sample_report("n2", collected_at=T0)
    assert store.put_report(innocent, received_at=T0).outcome == "latest"
    assert store.latest("n1") is None
    store.close()


# -- DynamoDB: throttled transactions retried, refusals that are permanent said so --------------------------
class FaultyClient:
    """The moto client, with the next transactions answered by the given errors (as DynamoDB sends them)."""

    def __init__(self, real: Any, faults: list[dict[str, Any]]) -> None:
        self._real, self.faults, self.transactions = real, faults, 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.transactions += 1
        if self.faults:
            raise ClientError(self.faults.pop(0), "TransactWriteItems")
        return self._real.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _cancelled(*codes: str) -> dict[str, Any]:
    reasons = [{"Code": c, "Message": c} for c in codes]
    return {
        "Error": {"Code": "TransactionCanceledException", "Message": f"cancelled [{', '.join(codes)}]"},
        "CancellationReasons": reasons,
    }


def test_a_transaction_cancelled_for_throttling_is_retried(dynamo_client: Any) -> None:
    faulty = FaultyClient(dynamo_client, [_cancelled("None", "None", "ThrottlingError")])
    store = DynamoStore("fleetfit-test", client=faulty)
    assert store.put_report(sample_report("n1", collected_at=T0), received_at=T0).outcome == "latest"
    assert faulty.transactions >= 2 and store.latest("n1") is not None


def test_throttling_that_persists_is_a_store_error_to_retry(dynamo_client: Any) -> None:
    faulty = FaultyClient(dynamo_client, [_cancelled("None", "None", "ThrottlingError")] * 20)
    store = DynamoStore("fleetfit-test", client=faulty)
    with pytest.raises(StoreError) as info:
        store.put_report(sample_report("n1", collected_at=T0), received_at=T0)
    assert not isinstance(info.value, ReportRefused)


@pytest.mark.parametrize(
    "error",
    [
        {"Error": {"Code": "ValidationException", "Message": "Number overflow. Attempting to store a number with "
                   "magnitude larger than supported range"}},
        _cancelled("None", "None", "ValidationError"),
    ],
)  # fmt: skip
def test_a_value_dynamodb_cannot_hold_is_a_permanent_refusal(dynamo_client: Any, error: dict[str, Any]) -> None:
    store = DynamoStore("fleetfit-test", client=FaultyClient(dynamo_client, [error]))
    with pytest.raises(ReportRefused, match="cannot hold"):
        store.put_report(sample_report("n1", collected_at=T0), received_at=T0)


def test_tiny_vram_is_written_as_a_number_dynamodb_holds(dynamo_client: Any) -> None:
    # DynamoDB numbers reach down to 1e-130; Python floats to 5e-324
    store = DynamoStore("fleetfit-test", client=dynamo_client)
    report = sample_report("n1", collected_at=T0)
    gpus = [g.model_copy(update={"vram_gb": 1e-200, "free_vram_gb": None}) for g in report.system.gpus]
    system = report.system.model_copy(update={"gpus": gpus, "gpu_vram_gb": 1e-200})
    written = store._latest_put(store_report(report, system), report.model_dump_json(), None)["Item"]
    assert float(written["gpu_vram_gb"]["N"]) == 0.0 and "e-200" not in written["gpu_vram_gb"]["N"]


def store_report(report: Any, system: Any) -> Any:
    from fleetfit.store.base import StoredReport

    return StoredReport(report=report.model_copy(update={"system": system}), received_at=T0, hw_class="k")


# -- a stricter server never turns stored data into errors ---------------------------------------------------
def test_reports_stored_under_older_rules_still_read_back(store: Store) -> None:
    # stored before the cross-field rules: a VRAM total that disagrees with its cards, and year 1999
    data = sample_report("n1", collected_at=T0).model_dump(mode="json")
    data["collected_at"] = "1999-06-01T00:00:00Z"
    data["system"]["gpu_vram_gb"] = 999.0
    lax = Report.model_validate(data, context=STORED)
    store.put_report(lax, received_at=T0)
    latest = store.latest("n1")
    assert latest is not None and latest.report.system.gpu_vram_gb == 999.0
    assert [n.node_id for n in store.list_nodes(limit=10).items] == ["n1"]
    assert len(store.history("n1", limit=10).items) == 1
