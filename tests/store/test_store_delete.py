"""Deleting a node, one contract on both stores: the node, its history and its report-id guards go; its
class counts one node fewer; nothing stale stays in a listing; the node may come back as new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleetfit.store import Store, hardware_class
from fleetfit.store.samples import cpu_only_x86, h100_server, rtx4090_workstation, sample_report

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _counts(store: Store) -> dict[str, int]:
    return {c.hw_class: c.nodes for c in store.classes()}


def test_delete_removes_the_node_its_history_and_fixes_the_class_count(store: Store) -> None:
    gpu, cpu = rtx4090_workstation(), cpu_only_x86()
    for i in range(3):
        store.put_report(sample_report(f"n{i}", system=gpu, collected_at=T0), received_at=T0)
    for minutes in (1, 2, 3):
        at = T0 + timedelta(minutes=minutes)
        store.put_report(sample_report("n1", system=gpu, collected_at=at), received_at=at)
    store.put_report(sample_report("c1", system=cpu, collected_at=T0), received_at=T0)
    gpu_class, cpu_class = hardware_class(gpu), hardware_class(cpu)
    assert _counts(store) == {gpu_class: 3, cpu_class: 1}

    assert store.delete_node("n1") is True
    assert store.latest("n1") is None
    assert store.history("n1", limit=100).items == []
    assert [n.node_id for n in store.list_nodes(limit=100).items] == ["c1", "n0", "n2"]
    assert [n.node_id for n in store.nodes_in_class(gpu_class, limit=100).items] == ["n0", "n2"]
    assert _counts(store) == {gpu_class: 2, cpu_class: 1}
    assert store.latest_many(["n0", "n1"]).keys() == {"n0"}
    assert store.stale_by_class(T0 + timedelta(days=1)) == {gpu_class: 2, cpu_class: 1}

    assert store.delete_node("n1") is False  # already gone
    assert store.delete_node("never-seen") is False
    assert _counts(store) == {gpu_class: 2, cpu_class: 1}


def test_a_deleted_node_comes_back_as_new_even_with_an_old_report_id(store: Store) -> None:
    first = sample_report("n1", system=h100_server(), collected_at=T0, report_id="r-000000001")
    store.put_report(first, received_at=T0)
    assert store.delete_node("n1")
    again = store.put_report(first, received_at=T0 + timedelta(hours=1))  # the guard went with the node
    assert again.outcome == "latest"
    assert [h.report.report_id for h in store.history("n1", limit=10).items] == ["r-000000001"]
    assert _counts(store) == {hardware_class(h100_server()): 1}


def test_deleting_the_last_node_of_a_class_keeps_the_class_at_zero(store: Store) -> None:
    store.put_report(sample_report("n1", system=cpu_only_x86(), collected_at=T0), received_at=T0)
    assert store.delete_node("n1")
    assert _counts(store) == {hardware_class(cpu_only_x86()): 0}
    assert store.list_nodes(limit=10).items == []
