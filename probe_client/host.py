"""The seam between the probe and the machine it runs on.

Everything the detector reads (files under /proc, /sys and /etc, commands, NVML, amdsmi, RAM figures) goes
through a `Host`. `real_host()` wires the real machine; tests build a `Host` over a fake filesystem root,
recorded command outputs and fake driver modules.
"""

from __future__ import annotations

import importlib
import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5.0


class CommandResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


# A runner returns None when the program is not installed; a timeout is a result with returncode 124.
Runner = Callable[[Sequence[str], float], CommandResult | None]


class Memory(NamedTuple):
    total: int  # bytes
    available: int  # bytes


def run_command(argv: Sequence[str], timeout: float = COMMAND_TIMEOUT_S) -> CommandResult | None:
    """Run a command with a short timeout and the C locale; never raises for a missing or hung program."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        proc = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"timed out after {timeout:g} s")
    except OSError as exc:
        return CommandResult(126, "", str(exc))
    return CommandResult(proc.returncode, proc.stdout, proc.stderr)


def _psutil_memory() -> Memory:
    import psutil

    vm = psutil.virtual_memory()
    available = vm.available
    if available <= 0:  # seen on newer macOS: fall back to total minus used
        available = max(vm.total - vm.used, 0)
    return Memory(vm.total, available)


def _cpu_count() -> int:
    import psutil

    return psutil.cpu_count(logical=True) or os.cpu_count() or 1


def _import(name: str) -> Callable[[], ModuleType]:
    return lambda: importlib.import_module(name)


def _os_label() -> str:
    return f"{platform.system()} {platform.release()}".strip()


@dataclass
class Host:
    system: str = sys.platform  # "linux", "darwin", "win32"
    machine: str = field(default_factory=platform.machine)
    root: Path = Path("/")
    run: Runner = run_command
    memory: Callable[[], Memory] = _psutil_memory
    cpu_count: Callable[[], int] = _cpu_count
    load_nvml: Callable[[], ModuleType] = field(default_factory=lambda: _import("pynvml"))
    load_amdsmi: Callable[[], ModuleType] = field(default_factory=lambda: _import("amdsmi"))
    hostname: Callable[[], str] = socket.gethostname
    os_label: Callable[[], str] = _os_label

    def path(self, absolute: str) -> Path:
        """Map an absolute path of the real machine ("/sys/...") under this host's root."""
        return self.root / absolute.lstrip("/")

    def read_text(self, absolute: str | Path) -> str | None:
        target = absolute if isinstance(absolute, Path) else self.path(absolute)
        try:
            return target.read_text(encoding="utf-8", errors="replace")
        except (OSError, ValueError):
            return None

    def command(self, argv: Sequence[str], timeout: float = COMMAND_TIMEOUT_S) -> CommandResult | None:
        result = self.run(argv, timeout)
        if result is not None and result.returncode != 0:
            log.debug("%s exited %d: %s", argv[0], result.returncode, result.stderr.strip()[:200])
        return result


def real_host() -> Host:
    return Host()
