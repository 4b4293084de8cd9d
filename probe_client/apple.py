"""Apple GPUs on macOS: `sysctl` for Apple Silicon, `system_profiler` for Intel Macs (or when sysctl says
nothing). Apple Silicon is unified memory: the seed's VRAM is total RAM; how much of it Metal may wire by
default is noted.
"""

from __future__ import annotations

import json
from typing import Any

from probe_client.host import Host
from probe_client.sources import GpuRecord, SourceAbsent, SourceFailed, first_working
from probe_client.tables import (
    APPLE_METAL_SHARE_LARGE,
    APPLE_METAL_SHARE_SMALL,
    APPLE_METAL_SHARE_THRESHOLD_GIB,
)

GIB = 1024**3
SYSCTL_KEYS = ["hw.memsize", "machdep.cpu.brand_string", "iogpu.wired_limit_mb"]
PROFILER_QUERY = ["system_profiler", "-json", "-detailLevel", "mini", "SPDisplaysDataType"]
PROFILER_TIMEOUT_S = 15.0  # system_profiler is slow on a cold start


def read_sysctl(host: Host) -> dict[str, str]:
    """`sysctl KEY...` as a dict; keys this macOS does not know are simply missing."""
    result = host.command(["sysctl", *SYSCTL_KEYS])
    if result is None:
        return {}
    facts: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            facts[key.strip()] = value.strip()
    return facts


def detect(host: Host, sysctl: dict[str, str], notes: list[str]) -> list[GpuRecord]:
    return first_working(
        "Apple",
        [
            ("sysctl", lambda: _from_sysctl(sysctl, notes)),
            ("system_profiler", lambda: read_system_profiler(host, sysctl, notes)),
        ],
        notes,
    )


def metal_share_note(name: str, total_bytes: int, wired_limit_mb: int | None) -> str:
    total_gib = total_bytes / GIB
    if wired_limit_mb:
        usable, how = wired_limit_mb / 1024, "iogpu.wired_limit_mb"
    else:
        large = total_gib > APPLE_METAL_SHARE_THRESHOLD_GIB
        share = APPLE_METAL_SHARE_LARGE if large else APPLE_METAL_SHARE_SMALL
        usable, how = total_gib * share, f"macOS default, {share:.0%}"
    return (
        f"Apple: {name} GPU may wire about {usable:.2f} GiB of {total_gib:.2f} GiB unified memory ({how}); "
        "`sudo sysctl iogpu.wired_limit_mb=N` changes it"
    )


def _apple_silicon(name: str, sysctl: dict[str, str], notes: list[str]) -> GpuRecord:
    memsize = int(sysctl.get("hw.memsize", "0") or 0)
    wired = sysctl.get("iogpu.wired_limit_mb", "")
    if memsize:
        notes.append(metal_share_note(name, memsize, int(wired) if wired.isdigit() else None))
    return GpuRecord(name, "Metal", None, None, unified=True)


def _from_sysctl(sysctl: dict[str, str], notes: list[str]) -> list[GpuRecord]:
    brand = sysctl.get("machdep.cpu.brand_string", "")
    if not brand:
        raise SourceAbsent("no machdep.cpu.brand_string")
    if not brand.startswith("Apple"):
        raise SourceAbsent(f"{brand} is not Apple Silicon")
    return [_apple_silicon(brand, sysctl, notes)]


def read_system_profiler(host: Host, sysctl: dict[str, str], notes: list[str]) -> list[GpuRecord]:
    result = host.command(PROFILER_QUERY, timeout=PROFILER_TIMEOUT_S)
    if result is None:
        raise SourceAbsent("system_profiler not installed")
    if result.returncode != 0:
        raise SourceFailed(result.stderr.strip()[:200] or f"exit status {result.returncode}")
    try:
        displays: list[dict[str, Any]] = json.loads(result.stdout).get("SPDisplaysDataType", [])
    except (json.JSONDecodeError, AttributeError) as exc:
        raise SourceFailed("unreadable JSON") from exc
    records: list[GpuRecord] = []
    integrated: list[GpuRecord] = []
    for display in displays:
        name = str(display.get("sppci_model") or display.get("_name") or "").strip()
        if not name:
            continue
        if name.startswith("Apple"):
            records.append(_apple_silicon(name, sysctl, notes))
            continue
        dedicated = _gb(display.get("spdisplays_vram") or display.get("_spdisplays_vram"))
        if dedicated:
            records.append(GpuRecord(name, "Metal", dedicated, None))
        else:  # "spdisplays_vram_shared": an Intel iGPU borrowing system RAM
            integrated.append(GpuRecord(name, "Metal", _gb(display.get("spdisplays_vram_shared")), None))
    if integrated and records:
        notes.append("Apple: ignored " + ", ".join(r.name for r in integrated) + " (integrated)")
    return records or integrated


def _gb(text: object) -> int | None:
    """system_profiler sizes: "8 GB", "1536 MB"."""
    if not isinstance(text, str):
        return None
    amount, _, unit = text.strip().partition(" ")
    scale = {"GB": GIB, "MB": 1024**2}.get(unit.strip().upper())
    try:
        return int(float(amount) * scale) if scale else None
    except ValueError:
        return None
