"""Fake hardware and a real local ingest server for the probe tests.

The fakes plug into the same seams the real code uses: a `Host` over a fake filesystem root, recorded command
outputs replayed by a runner, fake `pynvml` / `amdsmi` module objects, and an http.server in a thread.
"""

from __future__ import annotations

import json
import os
import random
import threading
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from probe_client.deliver import RetryPolicy
from probe_client.host import CommandResult, Host, Memory
from probe_client.run import Runtime
from probe_client.runtimes import Discovery

FIXTURES = Path(__file__).parent / "fixtures"
GIB = 1024**3
MIB = 1024**2


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


# --- commands ---------------------------------------------------------------------------------------------


class FakeRunner:
    """Replays recorded outputs by program name; a program not listed is "not installed"."""

    def __init__(self, outputs: dict[str, str | CommandResult] | None = None) -> None:
        self.outputs = outputs or {}
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], timeout: float) -> CommandResult | None:
        self.calls.append(list(argv))
        assert timeout <= 15, "every command runs with a short timeout"
        output = self.outputs.get(argv[0])
        if output is None:
            return None
        if isinstance(output, CommandResult):
            return output
        return CommandResult(0, fixture(output) if output.endswith((".csv", ".json", ".txt")) else output, "")


# --- NVML -------------------------------------------------------------------------------------------------


class FakeNvmlError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return {3: "Not Supported", 12: "NVML Shared Library Not Found", 15: "GPU is lost"}.get(
            self.value, f"NVML error {self.value}"
        )


@dataclass
class FakeGpu:
    name: str
    total: int
    free: int
    pci_device_id: int = 0  # the NVML pciDeviceId: device << 16 | 0x10DE
    memory_error: int | None = None  # NVML code nvmlDeviceGetMemoryInfo raises
    handle_error: int | None = None  # NVML code nvmlDeviceGetHandleByIndex raises


def fake_nvml(gpus: Sequence[FakeGpu], *, init_error: int | None = None) -> types.ModuleType:
    """A module object shaped like pynvml (nvidia-ml-py) for the calls the probe makes."""
    module = types.ModuleType("pynvml")
    module.NVMLError = FakeNvmlError  # type: ignore[attr-defined]
    module.calls = []  # type: ignore[attr-defined]

    def init() -> None:
        module.calls.append("init")
        if init_error is not None:
            raise FakeNvmlError(init_error)

    def handle(index: int) -> FakeGpu:
        gpu = gpus[index]
        if gpu.handle_error is not None:
            raise FakeNvmlError(gpu.handle_error)
        return gpu

    def memory(gpu: FakeGpu) -> types.SimpleNamespace:
        if gpu.memory_error is not None:
            raise FakeNvmlError(gpu.memory_error)
        return types.SimpleNamespace(total=gpu.total, free=gpu.free, used=gpu.total - gpu.free)

    module.nvmlInit = init  # type: ignore[attr-defined]
    module.nvmlShutdown = lambda: module.calls.append("shutdown")  # type: ignore[attr-defined]
    module.nvmlDeviceGetCount = lambda: len(gpus)  # type: ignore[attr-defined]
    module.nvmlDeviceGetHandleByIndex = handle  # type: ignore[attr-defined]
    module.nvmlDeviceGetName = lambda gpu: gpu.name  # type: ignore[attr-defined]
    module.nvmlDeviceGetMemoryInfo = memory  # type: ignore[attr-defined]
    module.nvmlDeviceGetPciInfo = lambda gpu: types.SimpleNamespace(  # type: ignore[attr-defined]
        pciDeviceId=gpu.pci_device_id
    )
    return module


def fake_amdsmi(cards: Sequence[dict[str, Any]]) -> types.ModuleType:
    """A module object shaped like amdsmi: each card has market_name, device_id, vram, used, gtt."""
    module = types.ModuleType("amdsmi")
    module.AmdSmiMemoryType = types.SimpleNamespace(VRAM=0, VIS_VRAM=1, GTT=2)  # type: ignore[attr-defined]
    module.amdsmi_init = lambda *a: None  # type: ignore[attr-defined]
    module.amdsmi_shut_down = lambda: None  # type: ignore[attr-defined]
    module.amdsmi_get_processor_handles = lambda: list(range(len(cards)))  # type: ignore[attr-defined]
    module.amdsmi_get_gpu_asic_info = lambda h: {  # type: ignore[attr-defined]
        "market_name": cards[h]["market_name"],
        "device_id": cards[h]["device_id"],
    }
    module.amdsmi_get_gpu_memory_total = lambda h, kind: (  # type: ignore[attr-defined]
        cards[h]["gtt"] if kind == 2 else cards[h]["vram"]
    )
    module.amdsmi_get_gpu_memory_usage = lambda h, kind: cards[h]["used"]  # type: ignore[attr-defined]
    return module


def _missing(name: str) -> Callable[[], types.ModuleType]:
    def load() -> types.ModuleType:
        raise ImportError(f"No module named '{name}'")

    return load


# --- sysfs ------------------------------------------------------------------------------------------------


def add_pci_device(
    root: Path,
    address: str,
    *,
    vendor: int,
    device: int,
    pci_class: int = 0x030000,
    revision: int = 0,
    driver: str | None = None,
    files: dict[str, str | int] | None = None,
) -> Path:
    """A PCI device directory under root/sys/bus/pci/devices, with a driver symlink when bound."""
    path = root / "sys" / "bus" / "pci" / "devices" / address
    path.mkdir(parents=True)
    attributes: dict[str, str | int] = {
        "vendor": f"0x{vendor:04x}",
        "device": f"0x{device:04x}",
        "class": f"0x{pci_class:06x}",
        "revision": f"0x{revision:02x}",
        **(files or {}),
    }
    for name, value in attributes.items():
        (path / name).write_text(f"{value}\n")
    if driver:
        target = root / "sys" / "bus" / "pci" / "drivers" / driver
        target.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path / "driver")
    return path


def write_file(root: Path, absolute: str, text: str) -> None:
    target = root / absolute.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def fake_host(
    root: Path,
    *,
    system: str = "linux",
    machine: str = "x86_64",
    cpuinfo: str | None = "cpuinfo_epyc.txt",
    commands: dict[str, str | CommandResult] | None = None,
    nvml: types.ModuleType | None = None,
    amdsmi: types.ModuleType | None = None,
    total: int = 64 * GIB,
    available: int = 48 * GIB,
    cores: int = 16,
    hostname: str = "node-a.example",
) -> Host:
    if cpuinfo:
        write_file(root, "/proc/cpuinfo", fixture(cpuinfo))
    return Host(
        system=system,
        machine=machine,
        root=root,
        run=FakeRunner(commands),
        memory=lambda: Memory(total, available),
        cpu_count=lambda: cores,
        load_nvml=(lambda: nvml) if nvml is not None else _missing("pynvml"),
        load_amdsmi=(lambda: amdsmi) if amdsmi is not None else _missing("amdsmi"),
        hostname=lambda: hostname,
        os_label=lambda: "Linux 6.8.0-test",
    )


# --- the ingest server ------------------------------------------------------------------------------------


@dataclass
class Scripted:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class IngestServer:
    """POST /api/v1/reports on a real local port. By default it behaves like the API: 201 for a new
    report_id, 200 for one it has seen, each with an envelope. `script()` queues other answers first."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.accepted: list[str] = []  # report ids stored, in arrival order
        self.reports: dict[str, dict[str, Any]] = {}
        self.poison: set[str] = set()  # report ids this server always fails with a 500 (a server-side bug)
        self._script: list[Scripted] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *answers: Scripted) -> None:
        with self._lock:
            self._script.extend(answers)

    def fail(self, times: int, status: int = 503, headers: dict[str, str] | None = None) -> None:
        self.script(*[Scripted(status, {"error": "unavailable"}, headers or {}) for _ in range(times)])

    def start(self) -> IngestServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, payload, headers = owner._answer(self.path, dict(self.headers.items()), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go down: the port refuses connections until start() is called again (same port)."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.received.append(Received(path, headers, body))
            if self._script:
                answer = self._script.pop(0)
                return answer.status, answer.body, answer.headers
            if path != "/api/v1/reports":
                return 404, {"error": f"no route {path}"}, {}
            report = json.loads(body)
            if report.get("report_id") in self.poison:
                return 500, {"error": "internal error"}, {}
            key = headers.get("Idempotency-Key", "")
            if key != report.get("report_id"):
                return 400, {"error": "Idempotency-Key must equal report_id"}, {}
            status = 200 if key in self.reports else 201
            if status == 201:
                self.accepted.append(key)
                self.reports[key] = report
        envelope = {
            "node": {"name": report["node_id"], "os": report.get("os") or "unknown"},
            "system": report["system"],
            "total_models": 0,
            "returned_models": 0,
            "filters": {},
            "models": [],
        }
        return status, envelope, {}


# --- time and the run's runtime ----------------------------------------------------------------------------


class FakeTime:
    """A clock that only moves when the code sleeps, so backoff runs instantly and is observable."""

    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.wall = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += timedelta(seconds=seconds)

    def now(self) -> datetime:
        return self.wall

    def clock(self) -> float:
        return self.monotonic


def make_runtime(host_root: Path, fake_time: FakeTime, **overrides: object) -> Runtime:
    values: dict[str, object] = {
        "host": fake_host(host_root),
        "environ": {},
        "sleep": fake_time.sleep,
        "clock": fake_time.clock,
        "rng": random.Random(7),
        "now": fake_time.now,
        "imds": lambda: None,
        "policy": RetryPolicy(attempts=4, base_s=1.0, cap_s=8.0, budget_s=60.0),
        "runtimes": lambda urls, defaults: Discovery([], []),  # no real port is probed unless a test asks
    }
    values.update(overrides)
    return Runtime(**values)  # type: ignore[arg-type]
