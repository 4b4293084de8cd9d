"""The last-resort GPU source: PCI devices in sysfs (`/sys/bus/pci/devices/*`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from probe_client.host import Host

# PCI base classes that hold GPUs: 0x03 display controllers (VGA 0x0300, 3D 0x0302, other 0x0380) and
# 0x12 processing accelerators (AMD Instinct MI300 parts).
_GPU_CLASSES = (0x03, 0x12)


@dataclass(frozen=True)
class PciDevice:
    address: str  # "0000:01:00.0"
    vendor: int
    device: int
    revision: int | None
    path: Path

    def read_int(self, name: str) -> int | None:
        """An integer attribute file (decimal or 0x-hex), or None when absent or unreadable."""
        try:
            return int((self.path / name).read_text(encoding="ascii").strip(), 0)
        except (OSError, ValueError):
            return None

    def read_str(self, name: str) -> str | None:
        try:
            text = (self.path / name).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        return text or None

    @property
    def driver(self) -> str | None:
        """Name of the kernel driver bound to the device ("nvidia", "amdgpu", "vfio-pci"), if any."""
        try:
            return os.path.basename(os.readlink(self.path / "driver"))
        except OSError:
            return None


def gpu_devices(host: Host, vendor: int) -> list[PciDevice]:
    """Every GPU-class PCI device of one vendor, in bus order; empty when sysfs is not readable."""
    base = host.path("/sys/bus/pci/devices")
    try:
        entries = sorted(base.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    devices: list[PciDevice] = []
    for entry in entries:
        probe = PciDevice(entry.name, 0, 0, None, entry)
        pci_class = probe.read_int("class")
        if probe.read_int("vendor") != vendor or pci_class is None or pci_class >> 16 not in _GPU_CLASSES:
            continue
        device = probe.read_int("device")
        if device is None:
            continue
        devices.append(PciDevice(entry.name, vendor, device, probe.read_int("revision"), entry))
    return devices
