"""One contract, two stores: SQLite (one machine) and DynamoDB (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fleetfit.store import BadPageToken, Store, hardware_class
from fleetfit.store.base import encode_token
from fleetfit.store.samples import apple_m3_max, cpu_only_x86, h100_server, rtx4090_workstation, sample_report

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_unknown_node_has_no_latest(store: Store) -> None:
    assert store.latest("nope") is None
    assert store.history("nope", limit=10).items == []
    assert store.list_nodes(limit=10).items == []


def test_first_report_becomes_latest(store: Store) -> None:
    report = sample_report("n1", collected_at=T0)
    result = store.put_report(report, received_at=T0 + timedelta(seconds=1))
    assert result.outcome == "latest"
    assert result.latest.report == report
    stored = store.latest("n1")
    assert stored is not None
    assert stored.report == report
    assert stored.received_at == T0 + timedelta(seconds=1)
    assert stored.hw_class == hardware_class(report.system)


def test_same_report_id_is_idempotent(store: Store) -> None:
    report = sample_report("n1", collected_at=T0, report_id="r-000000001")
    assert store.put_report(report, received_at=T0).outcome == "latest"
    again = store.put_report(report, received_at=T0 + timedelta(minutes=5))
    assert again.outcome == "duplicate"
    assert again.latest.report == report
    assert len(store.history("n1", limit=10).items) == 1


def test_newer_wins_and_older_goes_to_history_only(store: Store) -> None:
    new = sample_report("n1", collected_at=T0, system=h100_server())
    old = sample_report("n1", collected_at=T0 - timedelta(hours=1), system=cpu_only_x86())
    assert store.put_report(new, received_at=T0).outcome == "latest"
    result = store.put_report(old, received_at=T0 + timedelta(seconds=1))
    assert result.outcome == "older"
    assert result.latest.report == new
    latest = store.latest("n1")
    assert latest is not None and latest.report == new
    history = store.history("n1", limit=10).items
    assert [h.report.report_id for h in history] == [new.report_id, old.report_id]


def test_tie_on_collected_at_is_broken_by_report_id(store: Store) -> None:
    a = sample_report("n1", collected_at=T0, report_id="aaaaaaaa")
    b = sample_report("n1", collected_at=T0, report_id="bbbbbbbb")
    store.put_report(b, received_at=T0)
    assert store.put_report(a, received_at=T0).outcome == "older"
    latest = store.latest("n1")
    assert latest is not None and latest.report.report_id == "bbbbbbbb"


def test_timezones_compare_as_instants(store: Store) -> None:
    from datetime import timezone

    plus2 = timezone(timedelta(hours=2))
    first = sample_report("n1", collected_at=T0)
    # 13:30 at +02:00 is 11:30 UTC: earlier than T0 although its wall clock reads later
    earlier = sample_report("n1", collected_at=datetime(2025, 6, 1, 13, 30, tzinfo=plus2))
    store.put_report(first, received_at=T0)
    assert store.put_report(earlier, received_at=T0).outcome == "older"


def test_history_pages_newest_first(store: Store) -> None:
    ids = []
    for i in range(7):
        # each says something new (unchanged reports are not history: test_write_amplification.py)
        r = sample_report("n1", collected_at=T0 + timedelta(minutes=i), report_id=f"report-{i:04d}", hostname=f"h{i}")
        ids.append(r.report_id)
        store.put_report(r, received_at=T0 + timedelta(minutes=i))
    store.put_report(sample_report("n2", collected_at=T0), received_at=T0)
    seen: list[str] = []
    token = None
    for _ in range(10):
        page = store.history("n1", limit=3, token=token)
        seen += [s.report.report_id for s in page.items]
        token = page.next_token
        if token is None:
            break
    assert seen == list(reversed(ids))


def test_list_nodes_pages_by_node_id(store: Store) -> None:
    names = [f"node-{i:03d}" for i in range(11)]
    for n in reversed(names):
        store.put_report(sample_report(n, collected_at=T0), received_at=T0)
        store.put_report(sample_report(n, collected_at=T0 + timedelta(hours=1)), received_at=T0)
    pages = []
    token = None
    while True:
        page = store.list_nodes(limit=4, token=token)
        pages.append([n.node_id for n in page.items])
        token = page.next_token
        if token is None:
            break
    assert pages == [names[0:4], names[4:8], names[8:11]]
    first = store.list_nodes(limit=1).items[0]
    assert first.collected_at == T0 + timedelta(hours=1)
    assert first.gpu_name == "NVIDIA GeForce RTX 4090"
    assert first.backend == "CUDA"


def test_exact_page_has_no_dangling_token(store: Store) -> None:
    for n in ("a1", "a2"):
        store.put_report(sample_report(n, collected_at=T0), received_at=T0)
    page = store.list_nodes(limit=2)
    assert [n.node_id for n in page.items] == ["a1", "a2"]
    assert page.next_token is None


def test_nodes_of_a_class_and_a_node_that_changes_class(store: Store) -> None:
    store.put_report(sample_report("gpu-1", collected_at=T0, system=rtx4090_workstation()), received_at=T0)
    store.put_report(sample_report("gpu-2", collected_at=T0, system=rtx4090_workstation()), received_at=T0)
    store.put_report(sample_report("mac-1", collected_at=T0, system=apple_m3_max()), received_at=T0)
    k_gpu = hardware_class(rtx4090_workstation())
    k_mac = hardware_class(apple_m3_max())
    assert [n.node_id for n in store.nodes_in_class(k_gpu, limit=10).items] == ["gpu-1", "gpu-2"]
    # gpu-2 is rebuilt as a Mac: it leaves the first class and joins the second
    store.put_report(
        sample_report("gpu-2", collected_at=T0 + timedelta(hours=1), system=apple_m3_max()), received_at=T0
    )
    assert [n.node_id for n in store.nodes_in_class(k_gpu, limit=10).items] == ["gpu-1"]
    page = store.nodes_in_class(k_mac, limit=1)
    assert [n.node_id for n in page.items] == ["gpu-2"]
    assert page.next_token is not None
    rest = store.nodes_in_class(k_mac, limit=1, token=page.next_token)
    assert [n.node_id for n in rest.items] == ["mac-1"] and rest.next_token is None


@pytest.mark.parametrize(
    "token",
    ["garbage!", "e30", encode_token("history", {"n": "x", "c": "y", "r": "z"}), "A" * 3000],
)
def test_foreign_or_corrupt_tokens_are_refused(store: Store, token: str) -> None:
    store.put_report(sample_report("n1", collected_at=T0), received_at=T0)
    with pytest.raises(BadPageToken):
        store.list_nodes(limit=5, token=token)


def test_history_token_of_another_node_is_refused(store: Store) -> None:
    for i in range(3):
        at = T0 + timedelta(minutes=i)
        store.put_report(sample_report("n1", collected_at=at, hostname=f"h{i}"), received_at=T0)
        store.put_report(sample_report("n2", collected_at=at, hostname=f"h{i}"), received_at=T0)
    token = store.history("n1", limit=1).next_token
    assert token is not None
    with pytest.raises(BadPageToken):
        store.history("n2", limit=1, token=token)


def test_class_is_stable_under_available_ram_noise() -> None:
    a = rtx4090_workstation()
    b = a.model_copy(update={"available_ram_gb": a.available_ram_gb + 1.5})
    c = a.model_copy(update={"total_ram_gb": 128.0, "available_ram_gb": 100.0})
    assert hardware_class(a) == hardware_class(b)
    assert hardware_class(a) != hardware_class(c)
