"""Detect this node's System object.

Minimal CPU-only detection; GPU vendors arrive behind their own seams.
"""

from __future__ import annotations

import platform

import psutil

from fleetfit.contract import System

GIB = 1024**3


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_backend() -> str:
    machine = platform.machine().lower()
    return "CPU (ARM)" if machine in ("arm64", "aarch64") or machine.startswith("arm") else "CPU (x86)"


def detect_system() -> System:
    memory = psutil.virtual_memory()
    return System(
        total_ram_gb=round(memory.total / GIB, 2),
        available_ram_gb=round(memory.available / GIB, 2),
        cpu_cores=psutil.cpu_count(logical=True) or 1,
        cpu_name=_cpu_name(),
        has_gpu=False,
        gpu_vram_gb=None,
        gpu_name=None,
        gpu_count=0,
        unified_memory=False,
        backend=cpu_backend(),
        gpus=[],
    )
