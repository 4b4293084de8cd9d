"""Write amplification, one contract on both stores: a report that says what the node's latest says becomes
the latest in one small update, and history keeps changes plus one heartbeat a day, not every 15-minute
copy. On DynamoDB the unchanged report costs one GetItem and one UpdateItem (no transaction, no guard, no
history item)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fleetfit.store import Store
from fleetfit.store.base import content_digest
from fleetfit.store.samples import cpu_only_x86, rtx4090_workstation, sample_report

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
EVERY = timedelta(minutes=15)


def _report(i: int, **kw: Any) -> Any:
    return sample_report("n1", collected_at=T0 + i * EVERY, report_id=f"r-{i:08d}", **kw)


def test_unchanged_reports_move_the_latest_and_keep_a_daily_heartbeat(store: Store) -> None:
    two_days = 2 * 96
    results = [store.put_report(_report(i), received_at=T0 + i * EVERY) for i in range(two_days + 1)]
    assert [r.outcome for r in results] == ["latest"] * (two_days + 1)
    assert sum(r.unchanged for r in results) == two_days - 2  # all but the first and the two heartbeats
    latest = store.latest("n1")
    assert latest is not None and latest.report == _report(two_days)
    (node,) = store.list_nodes(limit=10).items
    assert node.report_id == f"r-{two_days:08d}" and node.collected_at == T0 + two_days * EVERY
    history = [h.report.report_id for h in store.history("n1", limit=100).items]
    assert history == [f"r-{2 * 96:08d}", f"r-{96:08d}", "r-00000000"]  # newest first: a heartbeat a day
    stale = store.stale_by_class(T0 + two_days * EVERY)  # by last seen: the node is fresh
    assert sum(stale.values()) == 0


def test_a_change_is_always_in_history(store: Store) -> None:
    store.put_report(_report(0), received_at=T0)
    store.put_report(_report(1), received_at=T0 + EVERY)  # unchanged
    changed = store.put_report(_report(2, hostname="renamed.lab"), received_at=T0 + 2 * EVERY)
    moved = store.put_report(_report(3, system=cpu_only_x86()), received_at=T0 + 3 * EVERY)
    assert not changed.unchanged and not moved.unchanged
    history = [h.report.report_id for h in store.history("n1", limit=100).items]
    assert history == ["r-00000003", "r-00000002", "r-00000000"]
    counts = {c.hw_class: c.nodes for c in store.classes()}
    assert sorted(counts.values()) == [0, 1]  # the class count moved with the changed system


def test_a_retried_or_older_unchanged_report_is_not_a_new_latest(store: Store) -> None:
    store.put_report(_report(0), received_at=T0)
    assert store.put_report(_report(2), received_at=T0 + 2 * EVERY).unchanged
    again = store.put_report(_report(2), received_at=T0 + 3 * EVERY)
    assert again.outcome == "duplicate"
    older = store.put_report(_report(1), received_at=T0 + 3 * EVERY)
    assert older.outcome == "older"
    latest = store.latest("n1")
    assert latest is not None and latest.report.report_id == "r-00000002"


def test_content_ignores_only_the_id_and_the_time() -> None:
    a, b = _report(0), _report(5)
    assert content_digest(a) == content_digest(b)
    assert content_digest(a) != content_digest(
        _report(0, system=rtx4090_workstation().model_copy(update={"cpu_cores": 8}))
    )


def test_an_unchanged_report_costs_one_read_and_one_update_on_dynamodb(counted_dynamo: Any) -> None:
    store, calls = counted_dynamo
    store.put_report(_report(0), received_at=T0)
    calls.clear()
    assert store.put_report(_report(1), received_at=T0 + EVERY).unchanged
    assert dict(calls) == {"GetItem": 1, "UpdateItem": 1}


def test_measurements_that_move_every_run_are_not_a_change_but_are_kept_on_the_latest(store: Store) -> None:
    base = rtx4090_workstation()
    store.put_report(_report(0, system=base), received_at=T0)
    gpus = [base.gpus[0].model_copy(update={"free_vram_gb": 11.5})]
    moved = base.model_copy(update={"available_ram_gb": base.available_ram_gb + 0.37, "gpus": gpus})
    result = store.put_report(_report(1, system=moved), received_at=T0 + EVERY)
    assert result.unchanged
    latest = store.latest("n1")
    assert latest is not None and latest.report.system.available_ram_gb == moved.available_ram_gb
    assert latest.report.system.gpus[0].free_vram_gb == 11.5
    assert [h.report.report_id for h in store.history("n1", limit=10).items] == ["r-00000000"]
