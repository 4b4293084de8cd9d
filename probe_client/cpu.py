"""The CPU's name and the CPU-only backend label."""

from __future__ import annotations

import platform
from typing import Literal

from probe_client.host import Host
from probe_client.tables import ARM_PARTS

_NAME_KEYS = ("model name", "cpu model", "Hardware", "Model", "Processor")


def cpu_name(host: Host, sysctl: dict[str, str]) -> str:
    """`sysctl machdep.cpu.brand_string` on macOS; /proc/cpuinfo (x86 model name, ARM implementer/part);
    the device tree model; then whatever `platform` says."""
    if host.system == "darwin" and sysctl.get("machdep.cpu.brand_string"):
        return sysctl["machdep.cpu.brand_string"]
    cpuinfo = host.read_text("/proc/cpuinfo") or ""
    name = _from_cpuinfo(cpuinfo)
    if name:
        return name
    model = (host.read_text("/sys/firmware/devicetree/base/model") or "").strip("\x00 \n")
    if model:
        return model
    return platform.processor() or host.machine or "unknown CPU"


def _from_cpuinfo(text: str) -> str | None:
    fields: dict[str, str] = {}
    arm_cores: list[str] = []
    implementer: int | None = None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            continue
        fields.setdefault(key, value)
        try:
            if key == "CPU implementer":
                implementer = int(value, 16)
            elif key == "CPU part" and implementer is not None:
                core = ARM_PARTS.get((implementer, int(value, 16)))
                if core and core not in arm_cores:
                    arm_cores.append(core)
        except ValueError:
            continue
    if fields.get("model name"):
        return fields["model name"]
    if arm_cores:  # big.LITTLE parts list each core type once, biggest first as the kernel numbers them
        return " + ".join(arm_cores)
    return next((fields[k] for k in _NAME_KEYS if fields.get(k)), None)


def cpu_backend(machine: str, cpu: str = "") -> Literal["CPU (ARM)", "CPU (x86)"]:
    machine = machine.lower()
    is_arm = machine in ("arm64", "aarch64") or machine.startswith("arm") or cpu.startswith("Apple")
    return "CPU (ARM)" if is_arm else "CPU (x86)"
