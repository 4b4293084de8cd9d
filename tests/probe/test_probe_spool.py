"""The spool: atomic writes, oldest-first order, bounds that say what they drop, dead letters, the lock."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from probe_client.spool import Spool, SpoolBusy


def rid(n: int) -> str:
    return f"20261127T10{n:04d}000000Z-abcdef{n:06d}"


def test_put_is_atomic_and_private(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert spool.put(rid(1), b'{"a":1}') == []
    path = spool.pending / f"{rid(1)}.json"
    assert path.read_bytes() == b'{"a":1}'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(spool.root.stat().st_mode) == 0o700
    assert [p.name for p in spool.pending.iterdir()] == [path.name]  # no temporary file left behind


def test_a_failed_rename_leaves_neither_a_report_nor_a_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "spool")
    spool.ensure()

    def broken_replace(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        spool.put(rid(1), b"{}")
    assert list(spool.pending.iterdir()) == []


def test_pending_is_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    for n in (3, 1, 2):
        spool.put(rid(n), b"{}")
    (spool.pending / ".stray.tmp").write_text("x")
    assert spool.pending_ids() == [rid(1), rid(2), rid(3)]


def test_count_bound_drops_the_oldest_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spool = Spool(tmp_path / "spool", max_reports=3)
    for n in range(1, 4):
        spool.put(rid(n), b"{}")
    with caplog.at_level(logging.WARNING):
        dropped = spool.put(rid(4), b"{}") + spool.put(rid(5), b"{}")
    assert dropped == [rid(1), rid(2)]
    assert spool.pending_ids() == [rid(3), rid(4), rid(5)]
    assert "spool full" in caplog.text and rid(1) in caplog.text


def test_byte_bound_drops_the_oldest_but_never_the_new_report(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_bytes=250)
    spool.put(rid(1), b"x" * 100)
    spool.put(rid(2), b"x" * 100)
    assert spool.put(rid(3), b"x" * 100) == [rid(1)]
    assert spool.put(rid(4), b"x" * 400) == [rid(2), rid(3)]
    assert spool.pending_ids() == [rid(4)]


def test_dead_letter_keeps_the_report_and_the_servers_message(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_dead=2)
    for n in range(1, 4):
        spool.put(rid(n), b'{"n":%d}' % n)
        spool.dead_letter(rid(n), 400, f"system.total_ram_gb: must be > 0 ({n})")
    assert spool.pending_ids() == []
    assert spool.dead_ids() == [rid(2), rid(3)]  # bounded: the oldest went
    reason = json.loads((spool.dead / f"{rid(3)}.reason.json").read_text())
    assert reason["status"] == 400 and reason["error"] == "system.total_ram_gb: must be > 0 (3)"
    assert (spool.dead / f"{rid(3)}.json").read_bytes() == b'{"n":3}'


def test_the_lock_keeps_a_second_run_out(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    with spool.locked(), pytest.raises(SpoolBusy), Spool(tmp_path / "spool").locked():
        pass
    with spool.locked():  # released
        pass
