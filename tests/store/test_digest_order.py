"""Fleet digests of classes with the same cards are computed one after another (Fleet.digests_within), so
that they share the engine's pools-only analyses; the answers keep their own order and pending count."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.contract import System
from fleetfit.fleet import service
from fleetfit.fleet.service import Fleet, cards_of, forget_digests, real_fleet_engine
from fleetfit.store.samples import cpu_only_x86, h100_server, rtx4090_workstation, sample_report
from fleetfit.store.sqlite import SqliteStore


def _with_ram(system: System, ram: float) -> System:
    return system.model_copy(update={"total_ram_gb": ram, "available_ram_gb": ram * 0.8})


def _fleet(tmp_path: Path, evaluated: list[System]) -> Fleet:
    store = SqliteStore(tmp_path / "fleet.db")
    now = datetime.now(UTC)
    # Interleaved on purpose: 4090, H100, CPU, 4090, H100, CPU, ... each with its own RAM (its own class).
    for i in range(3):
        for j, make in enumerate((rtx4090_workstation, h100_server, cpu_only_x86)):
            system = _with_ram(make(), 32.0 + 16 * i + j)
            store.put_report(sample_report(f"node-{i}-{j}", system=system), received_at=now)
    engine = real_fleet_engine()

    def recording(system: System, catalog: Any) -> Any:
        evaluated.append(system)
        return real_digest(system, catalog)

    real_digest = engine.digest_of
    return Fleet(
        store=store,
        catalog=load_bundled(),
        engine=dataclasses.replace(engine, digest_of=recording),
        now=now,
        stale_after_hours=24.0,
    )


def test_classes_with_the_same_cards_are_evaluated_in_turn(tmp_path: Path) -> None:
    forget_digests()
    evaluated: list[System] = []
    fleet = _fleet(tmp_path, evaluated)
    summary = fleet.summary()
    assert summary["classes"] == {"total": 9, "evaluated": 9, "pending": 0}
    cards = [tuple((g.name, g.count) for g in s.gpus) for s in evaluated]
    assert len(cards) == 9
    runs = [c for i, c in enumerate(cards) if i == 0 or c != cards[i - 1]]
    assert len(runs) == 3, cards  # each card set once, all its classes together
    forget_digests()


def test_a_budget_that_runs_out_leaves_the_rest_pending(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_digests()
    evaluated: list[System] = []
    fleet = _fleet(tmp_path, evaluated)
    clock = itertools.count()  # one second passes at every look at the clock
    monkeypatch.setattr(service.time, "monotonic", lambda: float(next(clock)))
    fleet.eval_budget_s = 2.5  # deadline at 2.5: the looks at 1 and 2 compute a class, the one at 3 stops
    summary = fleet.summary()
    assert len(evaluated) == 2
    assert summary["classes"] == {"total": 9, "evaluated": 2, "pending": 7}
    classes = [c for c in fleet.store.classes() if c.nodes > 0]
    first_cards = sorted(classes, key=cards_of)[0].system.gpus
    assert [s.gpus for s in evaluated] == [first_cards, first_cards]  # the card order, not the store's
    forget_digests()
