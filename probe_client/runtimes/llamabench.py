"""`fleetfit probe --bench MODEL_FILE`: run llama.cpp's llama-bench on one GGUF file and report its rates.

llama-bench (tools/llama-bench/README.md) prints one JSON object per test with ``-o json``: pp tests have
``n_prompt > 0, n_gen == 0``, tg tests the reverse; ``avg_ts`` is tokens/s and ``samples_ts`` the runs.
Its default markdown table (``| model | size | params | backend | ngl | test | t/s |``) is read too.
This is the one path where the probe makes a model compute: only when --bench is given.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from fleetfit.catalog.lineage import quant_of_ftype, quant_of_name
from fleetfit.contract import RuntimeInfo, ServedModel

from probe_client.host import Host

BENCH_TIMEOUT_S = 900.0  # llama-bench's default pp512 + tg128 x 5 runs: seconds on a GPU, minutes on a CPU
_TABLE_ROW = re.compile(r"^\|\s*(?P<model>[^|]+?)\s*\|\s*(?P<size>[\d.]+) (?P<unit>[KMGT]iB)\s*\|.*\|\s*(?P<test>(?:pp|tg)\d+)\s*\|\s*(?P<ts>[\d.]+)(?:\s*±\s*[\d.]+)?\s*\|$")  # fmt: skip
_UNITS = {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}


class BenchFailed(Exception):
    """llama-bench is absent, failed, or printed nothing it could be read from."""


def run_bench(model_file: str, host: Host, now: datetime, timeout: float = BENCH_TIMEOUT_S) -> RuntimeInfo:
    path = Path(model_file)
    if not path.is_file():
        raise BenchFailed(f"{path.name} is not a file")
    result = host.command(["llama-bench", "-m", str(path), "-o", "json"], timeout=timeout)
    if result is None:
        raise BenchFailed("llama-bench is not on the PATH (it ships with llama.cpp)")
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or ["no message"]
        raise BenchFailed(f"llama-bench exited {result.returncode}: {tail[0][:200]}")
    rows = parse_json(result.stdout) or parse_markdown(result.stdout)
    if not rows:
        raise BenchFailed("llama-bench printed no pp/tg results")
    return bench_runtime(rows, path.name, now)


def parse_json(stdout: str) -> list[dict[str, Any]]:
    start = stdout.find("[")
    if start < 0:
        return []
    try:
        data = json.loads(stdout[start:])
    except ValueError:
        return []
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []


def parse_markdown(stdout: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    build = re.search(r"^build: (\S+) \((\d+)\)", stdout, re.M)
    for line in stdout.splitlines():
        match = _TABLE_ROW.match(line.strip())
        if not match:
            continue
        test, digits = match["test"][:2], int(match["test"][2:])
        rows.append({
            "model_type": match["model"],
            "model_size": int(float(match["size"]) * _UNITS[match["unit"]]),
            "n_prompt": digits if test == "pp" else 0,
            "n_gen": digits if test == "tg" else 0,
            "avg_ts": float(match["ts"]),
            "build_commit": build[1] if build else None,
            "build_number": int(build[2]) if build else None,
        })  # fmt: skip
    return rows


def bench_runtime(rows: list[dict[str, Any]], file_name: str, now: datetime) -> RuntimeInfo:
    """The report's entry for a bench run: the best tg rate as decode, the best pp rate as prefill."""
    decode = _best(rows, lambda r: _num(r.get("n_gen")) > 0 and _num(r.get("n_prompt")) == 0)
    prefill = _best(rows, lambda r: _num(r.get("n_prompt")) > 0 and _num(r.get("n_gen")) == 0)
    first = rows[0]
    quant = quant_of_ftype(str(first.get("model_type", ""))) or quant_of_name(file_name)
    runs = sum(len(r.get("samples_ts") or [1]) for r in rows if r in (decode, prefill))
    size = first.get("model_size")
    build = first.get("build_number"), first.get("build_commit")
    version = f"b{build[0]}-{build[1]}" if all(build) else None
    model = ServedModel(
        name=file_name.removesuffix(".gguf")[:200],
        file=file_name,
        quant=quant,
        context=None,
        measured_decode_tps=_rate(decode),
        measured_prefill_tps=_rate(prefill),
        samples=runs,
        measured_at=now,
        loaded=False,
        size_bytes=int(size) if isinstance(size, (int, float)) and size > 0 else None,
    )
    return RuntimeInfo(kind="llama-bench", version=version, url="local", models=[model])


def _num(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else -1.0


def _best(rows: list[dict[str, Any]], keep: Any) -> dict[str, Any] | None:
    chosen = [r for r in rows if keep(r) and _rate(r) is not None]
    return max(chosen, key=lambda r: _rate(r) or 0.0) if chosen else None


def _rate(row: dict[str, Any] | None) -> float | None:
    value = row.get("avg_ts") if row else None
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return None
    return round(float(value), 2)
