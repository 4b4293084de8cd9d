"""DynamoDB: how many requests each operation makes, and that none is a Scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fleetfit.store import hardware_class
from fleetfit.store.dynamodb import DynamoStore
from fleetfit.store.samples import sample_report

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_request_counts_and_no_scan(counted_dynamo: tuple[DynamoStore, Any]) -> None:
    store, calls = counted_dynamo
    for i in range(30):
        store.put_report(sample_report(f"n{i:02d}", collected_at=T0 - timedelta(minutes=5)), received_at=T0)
    # A new node: the first transaction expects it in its class already and is refused (the item is absent),
    # the second writes it and counts it into its class. (The GetItem: is the content unchanged? No latest.)
    assert calls == {"TransactWriteItems": 60, "GetItem": 30}
    calls.clear()
    for i in range(30):
        store.put_report(sample_report(f"n{i:02d}", collected_at=T0), received_at=T0)
    assert calls == {"GetItem": 30, "UpdateItem": 30}  # the common case, an unchanged report: one small update
    calls.clear()
    for i in range(30):
        at = T0 + timedelta(minutes=1)
        store.put_report(sample_report(f"n{i:02d}", collected_at=at, hostname="moved"), received_at=at)
    assert calls == {"GetItem": 30, "TransactWriteItems": 30}  # changed, same class: one transaction

    calls.clear()
    store.put_report(sample_report("n00", collected_at=T0 - timedelta(hours=1)), received_at=T0)
    assert calls == {"TransactWriteItems": 2, "GetItem": 2}  # older: history only, then read the latest

    calls.clear()
    token = None
    pages = 0
    while True:
        page = store.list_nodes(limit=10, token=token)
        pages += 1
        token = page.next_token
        if token is None:
            break
    assert calls == {"Query": pages} and pages == 3

    calls.clear()
    klass = hardware_class(sample_report("x").system)
    assert len(store.nodes_in_class(klass, limit=100).items) == 30
    store.latest("n05")
    store.history("n00", limit=10)
    assert calls == {"Query": 2, "GetItem": 1}
    assert "Scan" not in calls


def test_duplicate_repairs_a_latest_that_an_earlier_attempt_never_wrote(
    counted_dynamo: tuple[DynamoStore, Any],
) -> None:
    store, _ = counted_dynamo
    report = sample_report("n1", collected_at=T0)
    # Simulate a crash after guard + history were written but before the latest was: write only those two.
    store.client.put_item(
        TableName=store.table,
        Item={"PK": {"S": "NODE#n1"}, "SK": {"S": f"RID#{report.report_id}"}, "collected_at": {"S": "x"}},
    )
    result = store.put_report(report, received_at=T0)
    assert result.outcome == "duplicate"
    latest = store.latest("n1")
    assert latest is not None and latest.report == report


def test_items_carry_ttl_and_the_latest_carries_no_ttl(counted_dynamo: tuple[DynamoStore, Any]) -> None:
    store, _ = counted_dynamo
    store.put_report(sample_report("n1", collected_at=T0), received_at=T0)
    items = store.client.query(
        TableName=store.table,
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "NODE#n1"}},
    )["Items"]
    by_kind = {i["SK"]["S"].split("#")[0]: i for i in items}
    assert set(by_kind) == {"LATEST", "REPORT", "RID"}
    assert "expires_at" not in by_kind["LATEST"]
    ninety_days = int((T0 + timedelta(days=90)).timestamp())
    assert int(by_kind["REPORT"]["expires_at"]["N"]) == ninety_days
    assert int(by_kind["RID"]["expires_at"]["N"]) == ninety_days


def test_class_moves_and_registry_reads_cost_a_fixed_number_of_requests(
    counted_dynamo: tuple[DynamoStore, Any],
) -> None:
    from fleetfit.store.samples import apple_m3_max

    store, calls = counted_dynamo
    for i in range(5):
        store.put_report(sample_report(f"n{i}", collected_at=T0), received_at=T0)
    calls.clear()
    # a node whose hardware changed: refused once (another class than expected), then moved with the counts
    store.put_report(sample_report("n0", collected_at=T0 + timedelta(hours=1), system=apple_m3_max()), received_at=T0)
    assert calls == {"TransactWriteItems": 2, "GetItem": 1}  # GetItem: is the content unchanged (no: it moved)

    calls.clear()
    assert {c.nodes for c in store.classes()} == {4, 1}
    store.stale_by_class(T0)
    store.latest_many([f"n{i}" for i in range(5)])
    assert calls == {"Query": 2, "BatchGetItem": 1}


def test_seeding_writes_what_ingest_writes(counted_dynamo: tuple[DynamoStore, Any]) -> None:
    from fleetfit.store.dynamodb import seed_nodes
    from fleetfit.store.samples import apple_m3_max

    store, _ = counted_dynamo
    reports = [sample_report(f"n{i:02d}", collected_at=T0) for i in range(30)]
    reports.append(sample_report("mac", collected_at=T0, system=apple_m3_max()))
    assert seed_nodes(store, reports, received_at=T0) == 31
    assert sorted(c.nodes for c in store.classes()) == [1, 30]
    latest = store.latest("n07")
    assert latest is not None and latest.report == reports[7]
    klass = hardware_class(reports[0].system)
    assert len(store.nodes_in_class(klass, limit=100).items) == 30
    # the seeded nodes then ingest as usual: one request for a node that stays in its class
    store.put_report(sample_report("n00", collected_at=T0 + timedelta(hours=1)), received_at=T0)
    assert sorted(c.nodes for c in store.classes()) == [1, 30]


def test_a_transaction_conflict_is_retried(counted_dynamo: tuple[DynamoStore, Any], monkeypatch: Any) -> None:
    from botocore.exceptions import ClientError

    store, _ = counted_dynamo
    real = store.client.transact_write_items
    conflicts = {"left": 2}

    def flaky(**kwargs: Any) -> Any:
        if conflicts["left"]:
            conflicts["left"] -= 1
            reasons = [{"Code": "None"}] * (len(kwargs["TransactItems"]) - 1) + [{"Code": "TransactionConflict"}]
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )
        return real(**kwargs)

    monkeypatch.setattr(store.client, "transact_write_items", flaky)
    assert store.put_report(sample_report("n1", collected_at=T0), received_at=T0).outcome == "latest"
    assert conflicts["left"] == 0 and [c.nodes for c in store.classes()] == [1]
