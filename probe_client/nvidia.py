"""NVIDIA GPUs: NVML first, then `nvidia-smi`, then sysfs.

This module owns every NVML call and every NVML error (the gpustat shape): nothing else imports pynvml.
"""

from __future__ import annotations

import contextlib
import csv
from types import ModuleType

from probe_client import pci
from probe_client.host import Host
from probe_client.sources import GpuRecord, SourceAbsent, SourceFailed, first_working
from probe_client.tables import (
    NVIDIA_PCI,
    NVIDIA_UNIFIED_NAME_MARKERS,
    NVIDIA_UNIFIED_PCI,
    NVIDIA_VENDOR,
)

# NVML return codes (nvml.h): stable across driver versions, so a fake module need not define them.
_NOT_SUPPORTED = 3
_DRIVER_NOT_LOADED = 9
_LIBRARY_NOT_FOUND = 12
_ABSENT_AT_INIT = {_DRIVER_NOT_LOADED, _LIBRARY_NOT_FOUND}

SMI_QUERY = [
    "nvidia-smi",
    "--query-gpu=index,name,memory.total,memory.free,pci.device_id",
    "--format=csv,noheader,nounits",
]
MIB = 1024**2


def detect(host: Host, notes: list[str]) -> list[GpuRecord]:
    return first_working(
        "NVIDIA",
        [
            ("NVML", lambda: read_nvml(host)),
            ("nvidia-smi", lambda: read_nvidia_smi(host)),
            ("sysfs", lambda: read_sysfs(host, notes)),
        ],
        notes,
    )


def is_unified(name: str, pci_device: int | None) -> bool:
    return pci_device in NVIDIA_UNIFIED_PCI or any(m in name for m in NVIDIA_UNIFIED_NAME_MARKERS)


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _code(exc: BaseException) -> int | None:
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


def read_nvml(host: Host) -> list[GpuRecord]:
    try:
        nvml = host.load_nvml()
    except Exception as exc:  # ImportError, or OSError from a broken install
        raise SourceAbsent(f"pynvml not importable ({type(exc).__name__})") from exc
    error: type[BaseException] = getattr(nvml, "NVMLError", Exception)
    try:
        nvml.nvmlInit()
    except error as exc:
        if _code(exc) in _ABSENT_AT_INIT:
            raise SourceAbsent(_text(exc) or "no NVIDIA driver") from exc
        raise SourceFailed(f"init: {_text(exc)}") from exc
    try:
        return _enumerate(nvml, error)
    finally:
        with contextlib.suppress(error):
            nvml.nvmlShutdown()


def _enumerate(nvml: ModuleType, error: type[BaseException]) -> list[GpuRecord]:
    records: list[GpuRecord] = []
    try:
        count = int(nvml.nvmlDeviceGetCount())
    except error as exc:
        raise SourceFailed(f"device count: {_text(exc)}") from exc
    for index in range(count):
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            name = _text(nvml.nvmlDeviceGetName(handle)).strip()
        except error as exc:
            raise SourceFailed(f"GPU {index} of {count}: {_text(exc)}") from exc
        pci_device = _nvml_pci_device(nvml, handle, error)
        try:
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        except error as exc:
            if _code(exc) != _NOT_SUPPORTED:
                raise SourceFailed(f"GPU {index} of {count} ({name}) memory: {_text(exc)}") from exc
            # GB10 and other coherent parts: NVML has no framebuffer figure, the GPU uses system RAM.
            records.append(GpuRecord(name, "CUDA", None, None, unified=True))
            continue
        if is_unified(name, pci_device):
            records.append(GpuRecord(name, "CUDA", None, None, unified=True))
        else:
            records.append(GpuRecord(name, "CUDA", int(memory.total), int(memory.free)))
    return records


def _nvml_pci_device(nvml: ModuleType, handle: object, error: type[BaseException]) -> int | None:
    try:
        return int(nvml.nvmlDeviceGetPciInfo(handle).pciDeviceId) >> 16
    except (error, AttributeError, TypeError, ValueError):
        return None


def _mib(field: str) -> int | None:
    field = field.strip()
    return int(float(field) * MIB) if field.replace(".", "", 1).isdigit() else None


def read_nvidia_smi(host: Host) -> list[GpuRecord]:
    result = host.command(SMI_QUERY)
    if result is None:
        raise SourceAbsent("nvidia-smi not installed")
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        if "No devices were found" in output:
            return []
        if "couldn't communicate with the NVIDIA driver" in output:
            raise SourceAbsent("NVIDIA driver not loaded")
        first_line = output.splitlines()[0] if output else f"exit status {result.returncode}"
        raise SourceFailed(first_line[:200])
    records: list[GpuRecord] = []
    for row in csv.reader(result.stdout.splitlines(), skipinitialspace=True):
        if len(row) < 4:
            continue
        name = row[1].strip()
        try:
            pci_device: int | None = int(row[4], 16) >> 16 if len(row) > 4 else None
        except ValueError:
            pci_device = None
        total, free = _mib(row[2]), _mib(row[3])
        if total is None or is_unified(name, pci_device):  # "[N/A]": memory not reported (GB10)
            records.append(GpuRecord(name, "CUDA", None, None, unified=True))
        else:
            records.append(GpuRecord(name, "CUDA", total, free))
    if not records and result.stdout.strip():
        raise SourceFailed("unreadable output")
    return records


def read_sysfs(host: Host, notes: list[str]) -> list[GpuRecord]:
    devices = pci.gpu_devices(host, NVIDIA_VENDOR)
    records: list[GpuRecord] = []
    for device in devices:
        driver = device.driver
        if driver == "vfio-pci":
            notes.append(f"NVIDIA: {device.address} is bound to vfio-pci (passed to a VM), not counted")
            continue
        model = NVIDIA_PCI.get(device.device)
        name = model.name if model else f"NVIDIA GPU [10de:{device.device:04x}]"
        if is_unified(name, device.device):
            records.append(GpuRecord(name, "CUDA", None, None, unified=True))
            continue
        total = device.read_int("mem_info_vram_total")  # nouveau exposes it; the NVIDIA driver does not
        if total is None and model and model.nominal_gib:
            total = int(model.nominal_gib * 1024**3)
            notes.append(f"NVIDIA: {name} at {device.address}: VRAM is the nominal size from the PCI id")
        elif total is None:
            notes.append(f"NVIDIA: {name} at {device.address}: VRAM unknown (not in the PCI id table)")
        records.append(GpuRecord(name, "CUDA", total, None))
    if records and not any(d.driver == "nvidia" for d in devices):
        notes.append("NVIDIA: GPUs on the PCI bus but the NVIDIA driver is not loaded: CUDA will not run")
    return records
