"""bench/accuracy.py reads published sizes through bench/ground_truth_readings.json: units by source, exclusions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import accuracy  # noqa: E402


def row(**fields):
    base = {
        "id": "gguf-x",
        "format": "gguf",
        "size_bytes_exact": None,
        "size_value_as_published": 11.38,
        "size_unit_as_published": "GB",
        "source_url": "https://huggingface.co/some/repo",
    }
    return {**base, **fields}


@pytest.fixture(scope="module")
def readings():
    return accuracy.load_readings()


def test_a_gb_label_is_read_as_decimal_gigabytes(readings) -> None:
    gib, reason = accuracy.truth_gib(row(), readings)
    assert reason is None
    assert gib == pytest.approx(11.38e9 / 2**30)


def test_a_source_known_to_label_gib_as_gb_is_read_in_gib(readings) -> None:
    gib, _ = accuracy.truth_gib(row(source_url="https://ai.gitee.com/hf-models/Qwen/x/tree/main"), readings)
    assert gib == pytest.approx(11.38)


def test_exact_bytes_win_and_pre_gguf_files_are_not_scored(readings) -> None:
    assert accuracy.truth_gib(row(size_bytes_exact=2**31), readings) == (2.0, None)
    gib, reason = accuracy.truth_gib(row(format="ggmlv3 (pre-GGUF)"), readings)
    assert gib is None and reason and "GGUF" in reason


def test_every_rule_states_its_reason(tmp_path) -> None:
    data = json.loads((BENCH / "ground_truth_readings.json").read_text())
    data["excluded_rows"].append({"id": "gguf-999", "reason": ""})
    bad = tmp_path / "readings.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="without a reason"):
        accuracy.load_readings(bad)
