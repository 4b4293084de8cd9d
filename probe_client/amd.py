"""AMD GPUs: the `amdsmi` library when importable, else `amd-smi`, else `rocm-smi`, else sysfs.

Every source reports each card separately (identical cards are grouped later, so a second MI50 is never
lost), names it by its PCI id where the tool does not, and classifies it: a discrete card, an LLM-capable
APU (Ryzen AI Max / Strix Halo: unified memory, its pool is carve-out + GTT), or a small display iGPU
(Ryzen 9800X3D and friends), which is ignored with a note instead of being counted as a second GPU.
"""

from __future__ import annotations

import contextlib
import json
import re
from types import ModuleType
from typing import Any

from probe_client import pci
from probe_client.host import Host
from probe_client.sources import GpuRecord, SourceAbsent, SourceFailed, first_working
from probe_client.tables import (
    AMD_APU_CPU_MARKERS,
    AMD_DISPLAY_IGPU_MAX_GIB,
    AMD_PCI,
    AMD_PCI_REVISIONS,
    AMD_VENDOR,
    AmdKind,
)

GIB = 1024**3
AMD_SMI_QUERY = ["amd-smi", "static", "--asic", "--vram", "--json"]
ROCM_SMI_QUERY = ["rocm-smi", "--showproductname", "--showid", "--showmeminfo", "vram", "gtt", "--json"]
_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def detect(host: Host, cpu_name: str, notes: list[str]) -> list[GpuRecord]:
    cards = first_working(
        "AMD",
        [
            ("amdsmi", lambda: read_amdsmi(host, cpu_name, notes)),
            ("amd-smi", lambda: read_amd_smi(host, cpu_name, notes)),
            ("rocm-smi", lambda: read_rocm_smi(host, cpu_name, notes)),
            ("sysfs", lambda: read_sysfs(host, cpu_name, notes)),
        ],
        notes,
    )
    return cards


def name_for(device: int | None, revision: int | None = None) -> str | None:
    if device is None:
        return None
    if revision is not None and (device, revision) in AMD_PCI_REVISIONS:
        return AMD_PCI_REVISIONS[(device, revision)]
    model = AMD_PCI.get(device)
    return model.name if model else None


def classify(device: int | None, vram_bytes: int | None, cpu_name: str) -> AmdKind:
    model = AMD_PCI.get(device) if device is not None else None
    if model is not None:
        return model.kind
    if vram_bytes is not None and vram_bytes <= AMD_DISPLAY_IGPU_MAX_GIB * GIB:
        return "apu" if any(m.lower() in cpu_name.lower() for m in AMD_APU_CPU_MARKERS) else "display"
    return "discrete"


def _card(
    name: str,
    device: int | None,
    vram: int | None,
    used: int | None,
    gtt: int | None,
    cpu_name: str,
    notes: list[str],
) -> GpuRecord | None:
    """Turn one card's facts into a record, or None for a display iGPU (noted)."""
    kind = classify(device, vram, cpu_name)
    if kind == "display":
        notes.append(f"AMD: ignored {name}: a display iGPU, not an inference device")
        return None
    if kind == "apu":
        pool = (vram or 0) + (gtt or 0)
        if pool:
            notes.append(
                f"AMD: {name} is an APU: GPU can allocate {pool / GIB:.2f} GiB now "
                f"(carve-out {(vram or 0) / GIB:.2f} + GTT {(gtt or 0) / GIB:.2f}); "
                "raise amdgpu.gttsize / ttm.pages_limit to give it more of the unified memory"
            )
        return GpuRecord(name, "ROCm", pool or None, None, unified=True)
    free = vram - used if vram is not None and used is not None else None
    return GpuRecord(name, "ROCm", vram, free)


def _hex(value: object) -> int | None:
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip(), 16)
    except ValueError:
        return None


# --- amdsmi (Python library) ---------------------------------------------------------------------------


def read_amdsmi(host: Host, cpu_name: str, notes: list[str]) -> list[GpuRecord]:
    try:
        amdsmi = host.load_amdsmi()
    except Exception as exc:  # ImportError when absent; OSError/AmdSmi errors when libamd_smi is broken
        raise SourceAbsent(f"amdsmi not importable ({type(exc).__name__})") from exc
    try:
        amdsmi.amdsmi_init()
    except Exception as exc:
        raise SourceAbsent(f"amdsmi init: {exc}") from exc
    try:
        return _amdsmi_cards(amdsmi, cpu_name, notes)
    except Exception as exc:  # amdsmi raises its own AmdSmiException family for everything
        raise SourceFailed(str(exc)[:200]) from exc
    finally:
        with contextlib.suppress(Exception):
            amdsmi.amdsmi_shut_down()


def _amdsmi_cards(amdsmi: ModuleType, cpu_name: str, notes: list[str]) -> list[GpuRecord]:
    memory_type = getattr(amdsmi, "AmdSmiMemoryType", None)
    records: list[GpuRecord] = []
    for handle in amdsmi.amdsmi_get_processor_handles():
        asic: dict[str, Any] = amdsmi.amdsmi_get_gpu_asic_info(handle)
        device = _hex(asic.get("device_id"))
        name = str(asic.get("market_name") or "").strip() or name_for(device) or "AMD GPU"
        vram = used = gtt = None
        if memory_type is not None:
            vram = int(amdsmi.amdsmi_get_gpu_memory_total(handle, memory_type.VRAM))
            used = int(amdsmi.amdsmi_get_gpu_memory_usage(handle, memory_type.VRAM))
            gtt = int(amdsmi.amdsmi_get_gpu_memory_total(handle, memory_type.GTT))
        record = _card(name, device, vram, used, gtt, cpu_name, notes)
        if record:
            records.append(record)
    return records


# --- amd-smi / rocm-smi (command line) -----------------------------------------------------------------


def _size(value: object) -> int | None:
    """amd-smi sizes: {"value": 196592, "unit": "MB"}, "196592 MB" or a bare number of MiB (its "MB")."""
    if isinstance(value, dict):
        amount, unit = value.get("value"), str(value.get("unit", "MB"))
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", value)
        if not match:
            return None
        amount, unit = match.group(1), match.group(2) or "MB"
    elif isinstance(value, int | float):
        amount, unit = value, "MB"
    else:
        return None
    try:
        return int(float(str(amount)) * _UNITS[unit.upper()])
    except (KeyError, ValueError):
        return None


def _run_json(host: Host, argv: list[str]) -> Any:
    result = host.command(argv)
    if result is None:
        raise SourceAbsent(f"{argv[0]} not installed")
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise SourceFailed(message[0][:200] if message else f"exit status {result.returncode}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise SourceFailed(f"unreadable JSON: {exc}") from exc


def read_amd_smi(host: Host, cpu_name: str, notes: list[str]) -> list[GpuRecord]:
    data = _run_json(host, AMD_SMI_QUERY)
    entries = data.get("gpu_data", []) if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise SourceFailed("unexpected JSON shape")
    records: list[GpuRecord] = []
    for entry in entries:
        asic = entry.get("asic") or {}
        vram_info = entry.get("vram") or {}
        device = _hex(asic.get("device_id"))
        name = str(asic.get("market_name") or "").strip()
        if not name or name == "N/A":
            name = name_for(device, _hex(asic.get("rev_id"))) or "AMD GPU"
        vram = _size(vram_info.get("size", vram_info.get("vram_size")))
        record = _card(name, device, vram, None, None, cpu_name, notes)
        if record:
            records.append(record)
    return records


def _field(card: dict[str, Any], *labels: str) -> str | None:
    lowered = {key.lower(): value for key, value in card.items()}
    for label in labels:
        value = lowered.get(label.lower())
        if value not in (None, "", "N/A"):
            return str(value).strip()
    return None


def _rocm_name(card: dict[str, Any], device: int | None, revision: int | None) -> str:
    """Card Series ("AMD Instinct MI300X OAM", or "Navi 31 [Radeon RX 7900 XT/7900 XTX]" on older tools),
    else the PCI id table, else Device Name, which some versions fill with a codename ("Phoenix3")."""
    series = _field(card, "Card Series")
    if series and not series.startswith("0x"):
        bracket = re.search(r"\[([^\]]+)\]", series)
        return bracket.group(1) if bracket else series
    return name_for(device, revision) or _field(card, "Device Name") or "AMD GPU"


def read_rocm_smi(host: Host, cpu_name: str, notes: list[str]) -> list[GpuRecord]:
    data = _run_json(host, ROCM_SMI_QUERY)
    if not isinstance(data, dict):
        raise SourceFailed("unexpected JSON shape")
    records: list[GpuRecord] = []
    for key in sorted((k for k in data if k.startswith("card")), key=lambda k: int(k[4:] or 0)):
        card = data[key]
        device = _hex(_field(card, "Device ID", "GPU ID") or "")
        revision = _hex(_field(card, "Device Rev") or "")
        vram = _int(_field(card, "VRAM Total Memory (B)"))
        used = _int(_field(card, "VRAM Total Used Memory (B)"))
        gtt = _int(_field(card, "GTT Total Memory (B)"))
        record = _card(_rocm_name(card, device, revision), device, vram, used, gtt, cpu_name, notes)
        if record:
            records.append(record)
    return records


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


# --- sysfs ---------------------------------------------------------------------------------------------


def read_sysfs(host: Host, cpu_name: str, notes: list[str]) -> list[GpuRecord]:
    records: list[GpuRecord] = []
    for device in pci.gpu_devices(host, AMD_VENDOR):
        if device.driver == "vfio-pci":
            notes.append(f"AMD: {device.address} is bound to vfio-pci (passed to a VM), not counted")
            continue
        vram = device.read_int("mem_info_vram_total")
        if vram is None:  # no amdgpu driver bound: nothing this node can run on
            continue
        name = (
            device.read_str("product_name")
            or name_for(device.device, device.revision)
            or f"AMD GPU [1002:{device.device:04x}]"
        )
        used = device.read_int("mem_info_vram_used")
        gtt = device.read_int("mem_info_gtt_total")
        record = _card(name, device.device, vram, used, gtt, cpu_name, notes)
        if record:
            records.append(record)
    return records
