"""The class registry, on both stores: classes with their representative System and node counts that follow
nodes in and out of classes, digests per catalog version, stale counts by index, several latest reports."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fleetfit.engine.fleet import class_system
from fleetfit.store import BadPageToken, Store, hardware_class
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, h100_server, rtx4090_workstation, sample_report
from fleetfit.store.sqlite import SqliteStore

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
K_GPU, K_MAC, K_CPU = (hardware_class(s()) for s in (rtx4090_workstation, apple_m3_max, cpu_only_x86))


def counts(store: Store) -> dict[str, int]:
    return {c.hw_class: c.nodes for c in store.classes()}


def test_a_class_is_registered_once_with_its_representative_system(store: Store) -> None:
    assert store.classes() == []
    for i in range(3):
        store.put_report(sample_report(f"gpu-{i}", collected_at=T0), received_at=T0 + timedelta(minutes=i))
    store.put_report(sample_report("mac-1", collected_at=T0, system=apple_m3_max()), received_at=T0)
    found = {c.hw_class: c for c in store.classes()}
    assert set(found) == {K_GPU, K_MAC}
    assert found[K_GPU].nodes == 3 and found[K_MAC].nodes == 1
    assert found[K_GPU].system == class_system(rtx4090_workstation())
    assert found[K_GPU].first_seen == T0
    assert found[K_GPU].digest is None and found[K_GPU].digest_version is None


def test_counts_follow_nodes_that_change_class_and_ignore_older_and_duplicate_reports(store: Store) -> None:
    a = sample_report("a", collected_at=T0)
    store.put_report(a, received_at=T0)
    store.put_report(sample_report("b", collected_at=T0), received_at=T0)
    assert counts(store) == {K_GPU: 2}
    # both nodes are rebuilt: a becomes a Mac, b a CPU box; the old class is left with no node
    store.put_report(sample_report("a", collected_at=T0 + timedelta(hours=1), system=apple_m3_max()), received_at=T0)
    store.put_report(sample_report("b", collected_at=T0 + timedelta(hours=1), system=cpu_only_x86()), received_at=T0)
    assert counts(store) == {K_GPU: 0, K_MAC: 1, K_CPU: 1}
    # a late report from a's old hardware changes nothing; neither does a retry
    store.put_report(sample_report("a", collected_at=T0 + timedelta(minutes=30)), received_at=T0)
    store.put_report(a, received_at=T0)
    assert counts(store) == {K_GPU: 0, K_MAC: 1, K_CPU: 1}
    # b moves back, same class again on its next report: counted once
    for minutes in (120, 180):
        store.put_report(sample_report("b", collected_at=T0 + timedelta(minutes=minutes)), received_at=T0)
    assert counts(store) == {K_GPU: 1, K_MAC: 1, K_CPU: 0}
    assert [n.node_id for n in store.nodes_in_class(K_GPU, limit=10).items] == ["b"]
    assert [n.node_id for n in store.nodes_in_class(K_CPU, limit=10).items] == []


def test_classes_page_by_class_id(store: Store) -> None:
    systems = [rtx4090_workstation, apple_m3_max, cpu_only_x86, h100_server]
    for i, make in enumerate(systems):
        store.put_report(sample_report(f"n{i}", collected_at=T0, system=make()), received_at=T0)
    first = store.list_classes(limit=3)
    assert len(first.items) == 3 and first.next_token is not None
    rest = store.list_classes(limit=3, token=first.next_token)
    assert rest.next_token is None
    ids = [c.hw_class for c in first.items + rest.items]
    assert ids == sorted(hardware_class(s()) for s in systems)
    with pytest.raises(BadPageToken):
        store.list_nodes(limit=3, token=first.next_token)


def test_digest_is_kept_per_catalog_version(store: Store) -> None:
    store.put_report(sample_report("n1", collected_at=T0), received_at=T0)
    store.put_class_digest(K_GPU, "v1", b"\x00first")
    store.put_class_digest(K_GPU, "v1", b"\x00ignored: v1 is stored")
    (record,) = store.classes(digests=True)
    assert (record.digest_version, record.digest) == ("v1", b"\x00first")
    store.put_class_digest(K_GPU, "v2", b"\x01second")
    (record,) = store.classes(digests=True)
    assert (record.digest_version, record.digest) == ("v2", b"\x01second")
    (light,) = store.classes()
    assert light.digest is None  # listings without digests stay small
    store.put_class_digest("no-such-class", "v1", b"x")  # never creates a class
    assert len(store.classes()) == 1


def test_stale_nodes_are_counted_per_class(store: Store) -> None:
    for i in range(4):
        store.put_report(sample_report(f"g{i}", collected_at=T0 - timedelta(hours=i * 24)), received_at=T0)
    store.put_report(sample_report("m", collected_at=T0 - timedelta(days=5), system=apple_m3_max()), received_at=T0)
    assert store.stale_by_class(T0 - timedelta(hours=36)) == {K_GPU: 2, K_MAC: 1}
    assert store.stale_by_class(T0 - timedelta(days=30)) == {}
    # a stale node that reports again is fresh
    store.put_report(sample_report("g3", collected_at=T0), received_at=T0)
    assert store.stale_by_class(T0 - timedelta(hours=36)) == {K_GPU: 1, K_MAC: 1}


def test_latest_many(store: Store) -> None:
    for n in ("a", "b", "c"):
        store.put_report(sample_report(n, collected_at=T0), received_at=T0)
    found = store.latest_many(["c", "a", "zz", "a"])
    assert set(found) == {"a", "c"}
    assert found["a"].report.node_id == "a" and found["a"].hw_class == K_GPU
    assert store.latest_many([]) == {}


def test_an_older_database_gets_its_classes_registered(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SqliteStore(path)
    for i in range(3):
        store.put_report(sample_report(f"n{i}", collected_at=T0), received_at=T0)
    store.put_report(sample_report("m", collected_at=T0, system=apple_m3_max()), received_at=T0)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE classes")  # as written before the registry existed
    reopened = SqliteStore(path)
    assert counts(reopened) == {K_GPU: 3, K_MAC: 1}
    assert {c.hw_class: c.system for c in reopened.classes()}[K_MAC] == class_system(apple_m3_max())
    reopened.close()
