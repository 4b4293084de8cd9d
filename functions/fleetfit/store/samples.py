"""A few realistic System objects and reports, for tests, benchmarks and examples in the docs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fleetfit.contract import Gpu, Report, System


def rtx4090_workstation() -> System:
    gpu = Gpu(name="NVIDIA GeForce RTX 4090", vram_gb=23.99, backend="CUDA", count=1, free_vram_gb=23.2)
    return System(
        total_ram_gb=62.7,
        available_ram_gb=48.1,
        cpu_cores=24,
        cpu_name="AMD Ryzen 9 7900X 12-Core Processor",
        has_gpu=True,
        gpu_vram_gb=23.99,
        gpu_name=gpu.name,
        gpu_count=1,
        unified_memory=False,
        backend="CUDA",
        gpus=[gpu],
    )


def mixed_4090_3090() -> System:
    """A workstation with two unlike cards of one backend (llama.cpp splits layers across both)."""
    gpus = [
        Gpu(name="NVIDIA GeForce RTX 4090", vram_gb=23.99, backend="CUDA", count=1),
        Gpu(name="NVIDIA GeForce RTX 3090", vram_gb=23.99, backend="CUDA", count=1),
    ]
    return System(
        total_ram_gb=125.7,
        available_ram_gb=110.0,
        cpu_cores=32,
        cpu_name="AMD Ryzen 9 7950X 16-Core Processor",
        has_gpu=True,
        gpu_vram_gb=47.98,
        gpu_name=gpus[0].name,
        gpu_count=2,
        unified_memory=False,
        backend="CUDA",
        gpus=gpus,
    )


def h100_server() -> System:
    gpu = Gpu(name="NVIDIA H100 80GB HBM3", vram_gb=79.65, backend="CUDA", count=8)
    return System(
        total_ram_gb=2015.6,
        available_ram_gb=1890.0,
        cpu_cores=224,
        cpu_name="Intel(R) Xeon(R) Platinum 8480+",
        has_gpu=True,
        gpu_vram_gb=637.2,
        gpu_name=gpu.name,
        gpu_count=8,
        unified_memory=False,
        backend="CUDA",
        gpus=[gpu],
    )


def apple_m3_max() -> System:
    gpu = Gpu(name="Apple M3 Max", vram_gb=128.0, backend="Metal", count=1, unified_memory=True)
    return System(
        total_ram_gb=128.0,
        available_ram_gb=96.0,
        cpu_cores=16,
        cpu_name="Apple M3 Max",
        has_gpu=True,
        gpu_vram_gb=128.0,
        gpu_name=gpu.name,
        gpu_count=1,
        unified_memory=True,
        backend="Metal",
        gpus=[gpu],
    )


def cpu_only_x86() -> System:
    return System(
        total_ram_gb=31.2,
        available_ram_gb=20.5,
        cpu_cores=8,
        cpu_name="Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz",
        has_gpu=False,
        gpu_vram_gb=None,
        gpu_name=None,
        gpu_count=0,
        unified_memory=False,
        backend="CPU (x86)",
        gpus=[],
    )


SYSTEMS = {
    "rtx4090": rtx4090_workstation,
    "h100x8": h100_server,
    "m3max": apple_m3_max,
    "cpu": cpu_only_x86,
}


def sample_report(
    node_id: str,
    *,
    system: System | None = None,
    collected_at: datetime | None = None,
    report_id: str | None = None,
    hostname: str | None = None,
) -> Report:
    return Report(
        node_id=node_id,
        report_id=report_id or uuid.uuid4().hex,
        probe_version="0.1.0",
        collected_at=collected_at or datetime.now(UTC) - timedelta(seconds=5),
        hostname=hostname or f"{node_id}.lab",
        os="linux",
        system=system or rtx4090_workstation(),
    )
