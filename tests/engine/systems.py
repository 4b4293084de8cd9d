"""System objects and synthetic catalog entries for engine tests (plain data, as the probe would send)."""

from __future__ import annotations

from typing import Any

from fleetfit.contract import System


def gpu_system(
    name: str,
    vram: float,
    count: int = 1,
    *,
    ram: float = 64.0,
    available: float | None = None,
    backend: str = "CUDA",
    cpu: str = "AMD Ryzen 9 7950X 16-Core Processor",
    cores: int = 32,
    extra_gpus: list[dict[str, Any]] | None = None,
) -> System:
    gpus = [{"name": name, "vram_gb": vram, "backend": backend, "count": count, "unified_memory": False}]
    gpus += extra_gpus or []
    return System(
        total_ram_gb=ram,
        available_ram_gb=available if available is not None else ram * 0.85,
        cpu_cores=cores,
        cpu_name=cpu,
        has_gpu=True,
        gpu_vram_gb=sum(g["vram_gb"] * g["count"] for g in gpus),
        gpu_name=name,
        gpu_count=sum(g["count"] for g in gpus),
        unified_memory=False,
        backend=backend,
        gpus=gpus,
    )


def apple_system(chip: str = "Apple M3 Max", ram: float = 128.0) -> System:
    return System(
        total_ram_gb=ram,
        available_ram_gb=ram * 0.7,
        cpu_cores=16,
        cpu_name=chip,
        has_gpu=True,
        gpu_vram_gb=ram,
        gpu_name=chip,
        gpu_count=1,
        unified_memory=True,
        backend="Metal",
        gpus=[{"name": chip, "vram_gb": ram, "backend": "Metal", "count": 1, "unified_memory": True}],
    )


def cpu_system(
    ram: float = 32.0, *, cores: int = 16, cpu: str = "AMD Ryzen 9 7950X 16-Core Processor", arm: bool = False
) -> System:
    return System(
        total_ram_gb=ram,
        available_ram_gb=ram * 0.9,
        cpu_cores=cores,
        cpu_name=cpu,
        has_gpu=False,
        gpu_vram_gb=None,
        gpu_name=None,
        gpu_count=0,
        unified_memory=False,
        backend="CPU (ARM)" if arm else "CPU (x86)",
        gpus=[],
    )


def dense_entry(
    name: str = "test/dense-8b",
    params: int = 8_030_261_248,
    *,
    layers: int | None = 32,
    hidden: int | None = 4096,
    heads: int | None = 32,
    kv_heads: int | None = 8,
    head_dim: int | None = 128,
    vocab: int | None = 128256,
    ffn: int | None = 14336,
    context: int = 131072,
    category: str = "Chat",
    **extra: Any,
) -> dict[str, Any]:
    arch = {
        k: v
        for k, v in dict(
            layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads, head_dim=head_dim, vocab=vocab, ffn=ffn
        ).items()
        if v is not None
    }
    entry = {
        "name": name,
        "provider": "Test",
        "parameter_count": f"{params / 1e9:.1f}B",
        "params": params,
        "context_length": context,
        "release_date": "2024-07-18",
        "category": category,
        "arch": arch,
        "confidence": "high" if layers and kv_heads and head_dim else "low",
    }
    entry.update(extra)
    return entry
