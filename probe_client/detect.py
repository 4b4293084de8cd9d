"""Detect this node's System object (the seed's, every field).

Each vendor sits behind its own module with ordered fallbacks (NVIDIA: NVML, nvidia-smi, sysfs; AMD: amdsmi,
amd-smi, rocm-smi, sysfs; Apple: sysctl, system_profiler), all reading the machine through one `Host`.
Cards are grouped here: identical cards become one `Gpu` with a `count`, unlike cards stay separate, the
primary GPU is the one with the most memory, and unified-memory GPUs get VRAM = total RAM as the seed says.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import dataclass, field

from fleetfit.contract import Backend, Gpu, System

from probe_client import amd, apple, nvidia
from probe_client.cpu import cpu_backend as _cpu_backend
from probe_client.cpu import cpu_name
from probe_client.host import Host, real_host
from probe_client.sources import GpuRecord

log = logging.getLogger(__name__)

GIB = 1024**3


@dataclass
class Detection:
    system: System
    notes: list[str] = field(default_factory=list)  # how the hardware was read: fallbacks, ignored devices


def gib(value: int | float) -> float:
    return round(value / GIB, 2)


def cpu_backend() -> Backend:
    """The CPU-only backend label of the machine this runs on."""
    return _cpu_backend(platform.machine())


def detect_system() -> System:
    return detect().system


def detect(host: Host | None = None) -> Detection:
    host = host or real_host()
    notes: list[str] = []
    memory = host.memory()
    sysctl = apple.read_sysctl(host) if host.system == "darwin" else {}
    cpu = cpu_name(host, sysctl)

    records: list[GpuRecord] = []
    if host.system == "darwin":
        records += apple.detect(host, sysctl, notes)
    else:
        records += nvidia.detect(host, notes)
        if host.system == "linux":
            records += amd.detect(host, cpu, notes)

    gpus = group(records, total_ram=memory.total, available_ram=memory.available, notes=notes)
    primary = gpus[0] if gpus else None
    system = System(
        total_ram_gb=gib(memory.total),
        available_ram_gb=gib(min(memory.available, memory.total)),
        cpu_cores=max(host.cpu_count(), 1),
        cpu_name=cpu,
        has_gpu=bool(gpus),
        gpu_vram_gb=round(sum(g.vram_gb * g.count for g in gpus), 2) if gpus else None,
        gpu_name=primary.name if primary else None,
        gpu_count=sum(g.count for g in gpus),
        unified_memory=primary.unified_memory if primary else False,
        backend=primary.backend if primary else _cpu_backend(host.machine, cpu),
        gpus=gpus,
    )
    notes = list(dict.fromkeys(notes))  # a source that failed half-way may have noted a card already
    for note in notes:
        log.info("detect: %s", note)
    return Detection(system, notes)


def group(records: list[GpuRecord], *, total_ram: int, available_ram: int, notes: list[str]) -> list[Gpu]:
    """Identical cards (same name, backend, memory, unified flag) become one Gpu with a count; groups are
    ordered by memory per card, largest first; cards of the same whole GiB keep detection order, so a 24 GiB
    RTX 4090 at index 0 stays primary beside a 24.00 GiB RTX 3090. A group's free memory is that of its
    fullest card (the figure every card in it can still take)."""
    groups: dict[tuple[str, Backend, bool, float], list[GpuRecord]] = {}
    for record in records:
        if record.unified:
            vram = max(total_ram, record.vram_bytes or 0)
        else:
            vram = record.vram_bytes or 0
            if record.vram_bytes is None:
                notes.append(f"{record.name}: memory unknown, reported as 0 GiB")
        groups.setdefault((record.name, record.backend, record.unified, gib(vram)), []).append(record)

    gpus: list[Gpu] = []
    for (name, backend, unified, vram_gb), members in groups.items():
        if unified:
            free: float | None = gib(min(available_ram, total_ram))
        else:
            known = [m.free_bytes for m in members if m.free_bytes is not None]
            free = gib(max(min(known), 0)) if known else None
        gpus.append(
            Gpu(
                name=name,
                vram_gb=vram_gb,
                backend=backend,
                count=len(members),
                unified_memory=unified,
                free_vram_gb=free,
            )
        )
    gpus.sort(key=lambda g: round(g.vram_gb), reverse=True)
    return gpus
