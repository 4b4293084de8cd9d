"""Hardware fact tables for the fit engine: GPU memory bandwidth and CPU system-memory bandwidth.

Decode speed is bound by memory bandwidth (weights are streamed once per token), so the engine needs the
vendor peak bandwidth of the device that holds the weights. The rows are data, in package files next to
this module (``data/gpus.csv``, ``data/cpus.csv``; format in ``data/README.md``); this module is their
loader (validated, read once at import) plus the name matching. Every row carries the public source its
numbers were read from (``source``); where a number was derived (bus width x data rate, channels x MT/s x
8 bytes) the row says so.

- ``GPU_SPECS`` / ``match_gpu(driver_name, vram_gb)``: names as drivers print them (NVML/nvidia-smi,
  rocm-smi/amdsmi, sysfs+lspci, system_profiler). The first 73 rows are /work/shared/reference/gpu_specs.json
  with its numbers (one documented correction: RTX 5000 Ada, see its ``source``).
- ``CPU_MEMORY_SPECS`` / ``match_cpu(cpu_name)``: platform peak DRAM bandwidth by CPU family, from the CPU
  name (/proc/cpuinfo "model name", ``sysctl machdep.cpu.brand_string``, psutil). Apple SoCs are not listed
  in cpus.csv: their CPU rows are the GPU table's Apple rows (one memory, one figure).
- ``DEFAULT_CPU_BANDWIDTH_GBPS``: conservative fallbacks when the CPU is unknown.
- ``read_gpu_table(path)`` / ``read_cpu_table(path, gpus)``: the same loader for another file (a bad row
  raises ``TableError`` naming the file, line and field).

Peak bandwidth is a ceiling; measured decode typically reaches 50-85 % of it (see
/work/shared/reference/estimation-methods.md).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CPU_MEMORY_SPECS",
    "DEFAULT_CPU_BANDWIDTH_GBPS",
    "GPU_SPECS",
    "CpuMemorySpec",
    "CpuTable",
    "GpuSpec",
    "GpuTable",
    "TableError",
    "match_cpu",
    "match_gpu",
    "measured_efficiency",
    "read_cpu_table",
    "read_gpu_table",
]

DATA_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True, slots=True)
class GpuSpec:
    """One GPU / SoC memory subsystem as its vendor (or a cited database) states it."""

    key: str  # stable id, e.g. "nvidia-h100-sxm"
    name: str  # human name
    vendor: str  # NVIDIA | AMD | Intel | Apple
    category: str  # consumer, consumer-laptop, workstation, datacenter, desktop-unified, apu-unified, apple-unified
    vram_gb: float | None  # memory per card as stated (GB); unified parts: the maximum configuration
    bandwidth_gbps: float  # vendor peak memory bandwidth, GB/s
    fp16_tflops: float | None  # dense FP16 tensor/matrix TFLOPS where a source states it
    memory_type: str  # "GDDR6", "HBM3e", "LPDDR5X", ...
    unified: bool  # memory shared with the CPU (Apple, Strix Halo, GB10, Jetson, MI300A)
    source: str  # URL(s) the numbers were read from
    # share of peak bandwidth llama.cpp decode reaches on this device's native backend (Metal, CUDA, ROCm),
    # where published measurements give one (the row's source says which); None: engine/speed.py's default
    decode_efficiency: float | None = None


@dataclass(frozen=True, slots=True)
class CpuMemorySpec:
    """Peak system-memory bandwidth of a CPU platform (channels x MT/s x 8 bytes unless stated)."""

    key: str
    name: str
    bandwidth_gbps: float
    memory: str  # e.g. "12 x DDR5-4800"
    source: str


class TableError(ValueError):
    """A data file row that cannot be used; the message names the file, line and field."""


# --------------------------------------------------------------------------------------------------
# Reading and validating a data file
# --------------------------------------------------------------------------------------------------

GPU_COLUMNS = (
    "key",
    "name",
    "vendor",
    "category",
    "vram_gb",
    "bandwidth_gbps",
    "fp16_tflops",
    "memory_type",
    "unified",
    "decode_efficiency",
    "aliases",
    "default",
    "exclude",
    "source",
)
CPU_COLUMNS = ("key", "name", "bandwidth_gbps", "memory", "match", "source")
VENDORS = frozenset({"NVIDIA", "AMD", "Intel", "Apple"})
CATEGORIES = frozenset(
    {"consumer", "consumer-laptop", "workstation", "datacenter", "desktop-unified", "apu-unified", "apple-unified"}
)
# Sanity ranges, not facts: a value outside them is a typo (B200's 8 TB/s and 2.25 dense PFLOPS FP16 are
# the largest figures any row has; 2 TB covers every unified-memory configuration sold).
MAX_GPU_BANDWIDTH_GBPS = 50_000.0
MAX_CPU_BANDWIDTH_GBPS = 5_000.0
MAX_MEMORY_GB = 2_048.0
MAX_FP16_TFLOPS = 50_000.0
_KEY_RE = re.compile(r"[a-z0-9][a-z0-9.-]*")


class _Row:
    """One data line: typed field reads that raise TableError naming the file, line and field."""

    def __init__(self, path: Path, line: int, values: dict[str, str]) -> None:
        self.path, self.line, self.values = path, line, values

    def fail(self, field: str, why: str) -> TableError:
        return TableError(f"{self.path.name} line {self.line}, field {field!r}: {why}")

    def text(self, field: str, *, required: bool = True) -> str:
        value = self.values[field].strip()
        if required and not value:
            raise self.fail(field, "empty")
        return value

    def number(self, field: str, high: float, *, required: bool = True) -> float | None:
        raw = self.text(field, required=required)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise self.fail(field, f"{raw!r} is not a number") from None
        if not (math.isfinite(value) and 0 < value <= high):
            raise self.fail(field, f"{raw} is outside (0, {high:g}]")
        return value

    def flag(self, field: str) -> bool:
        raw = self.text(field)
        if raw not in ("yes", "no"):
            raise self.fail(field, f"{raw!r} is not yes or no")
        return raw == "yes"

    def choice(self, field: str, allowed: frozenset[str]) -> str:
        raw = self.text(field)
        if raw not in allowed:
            raise self.fail(field, f"{raw!r} is not one of {', '.join(sorted(allowed))}")
        return raw

    def words(self, field: str, *, required: bool) -> tuple[str, ...]:
        items = tuple(part.strip() for part in self.text(field, required=required).split("|") if part.strip())
        if required and not items:
            raise self.fail(field, "empty")
        return items

    def source(self) -> str:
        # a vendor/reference page, or a figure derived from one (then the source says how and cites the page)
        value = self.text("source")
        if not (value.startswith(("http", "derived: ")) and "http" in value):
            raise self.fail("source", "must be a URL, or 'derived: ...' citing one")
        return value


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[_Row]:
    """The data lines of a CSV file with exactly ``columns``, each with its line number; keys unique."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(header) != columns:
            raise TableError(f"{path.name} line 1: header must be {','.join(columns)}, got {header}")
        seen: dict[str, int] = {}
        for values in reader:
            line = reader.line_num
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            if len(values) != len(columns):
                raise TableError(f"{path.name} line {line}: {len(values)} fields, expected {len(columns)}")
            row = _Row(path, line, dict(zip(columns, values, strict=True)))
            key = row.text("key")
            if not _KEY_RE.fullmatch(key):
                raise row.fail("key", f"{key!r} must be lower-case letters, digits, '.' and '-'")
            if key in seen:
                raise row.fail("key", f"{key!r} already on line {seen[key]}")
            seen[key] = line
            yield row


# --------------------------------------------------------------------------------------------------
# GPU table and name matching
# --------------------------------------------------------------------------------------------------

_GIB_IN_GB = 1.073741824
_TRADEMARK_RE = re.compile(r"\((?:tm|r|c)\)")
_SEPARATOR_RE = re.compile(r"[^a-z0-9.]+")
# a memory size printed in the name ("A100-SXM4-80GB", "GH200 144G"), not glued to a model ("A10G")
_MEMORY_RE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*(?:gib|gb|g)(?![a-z0-9])")
_TOKEN_RE = re.compile(r"[a-z]+|\d+")
# A token right after a matched pattern that names a different part ("RTX 3080" + "Ti", "L40" + "S",
# "A10" + "G", "M3" + "Max"): the shorter pattern must not claim it.
_VARIANT_SUFFIXES = frozenset(
    {
        "ti",
        "super",
        "xt",
        "xtx",
        "gre",
        "m",
        "s",
        "x",
        "g",
        "d",
        "laptop",
        "mobile",
        "max",
        "pro",
        "ultra",
        "nvl",
        "plus",
        "sff",
    }
)
_MOBILE_CATEGORIES = frozenset({"consumer-laptop", "apu-unified", "apple-unified", "desktop-unified"})


def _tokens(text: str) -> tuple[tuple[str, ...], float | None]:
    """Lower-case word/number tokens of a device name, with any printed memory size removed and returned.

    Letters and digits are split ("H100NVL" -> h 100 nvl), so spacing, hyphens and case do not matter.
    """
    s = _TRADEMARK_RE.sub(" ", text.lower()).replace("+", " plus ")
    s = _SEPARATOR_RE.sub(" ", s)
    memory: float | None = None
    found = _MEMORY_RE.search(s)
    if found:
        memory = float(found.group(1))
        s = _MEMORY_RE.sub(" ", s)
    return tuple(_TOKEN_RE.findall(s)), memory


@dataclass(frozen=True, slots=True)
class _Alias:
    tokens: tuple[str, ...]
    exclude: frozenset[str]
    spec: GpuSpec
    default: bool
    order: int


def _vram_distance(spec: GpuSpec, hint: float) -> float:
    """|log| ratio between the hint and the spec's memory, reading the hint as GB or as GiB."""
    if spec.vram_gb is None or hint <= 0:
        return math.inf
    return min(abs(math.log(h / spec.vram_gb)) for h in (hint, hint * _GIB_IN_GB))


def _has_max_q(tokens: tuple[str, ...]) -> bool:
    return any(a == "max" and b == "q" for a, b in zip(tokens, tokens[1:], strict=False))


class GpuTable:
    """GPU rows in file order, indexed by the first token of each alias pattern."""

    def __init__(self, specs: tuple[GpuSpec, ...], aliases: tuple[_Alias, ...]) -> None:
        self.specs = specs
        index: dict[str, list[_Alias]] = {}
        for alias in aliases:
            index.setdefault(alias.tokens[0], []).append(alias)
        self._index = {first: tuple(found) for first, found in index.items()}

    def match(self, driver_name: str, vram_gb: float | None = None) -> GpuSpec | None:
        """See ``match_gpu``."""
        if not driver_name:
            return None
        tokens, printed_memory = _tokens(driver_name)
        if not tokens:
            return None
        present = frozenset(tokens)
        mobile = ("laptop" in present or "mobile" in present or _has_max_q(tokens)) and "workstation" not in present
        best: list[_Alias] = []
        best_len = 0
        for i, token in enumerate(tokens):
            for alias in self._index.get(token, ()):
                n = len(alias.tokens)
                if n < best_len or tokens[i : i + n] != alias.tokens:
                    continue
                if i + n < len(tokens) and tokens[i + n] in _VARIANT_SUFFIXES:
                    continue
                if alias.exclude & present:
                    continue
                if mobile and alias.spec.category not in _MOBILE_CATEGORIES:
                    continue
                if n > best_len:
                    best, best_len = [alias], n
                else:
                    best.append(alias)
        if not best:
            return None
        candidates: dict[str, _Alias] = {}
        for alias in sorted(best, key=lambda a: a.order):
            candidates.setdefault(alias.spec.key, alias)
        if len(candidates) == 1:
            return best[0].spec
        hint = vram_gb if vram_gb is not None else printed_memory
        ranked = sorted(
            candidates.values(),
            key=lambda a: (
                _vram_distance(a.spec, hint) if hint is not None else 0.0,
                not a.default,
                a.order,
            ),
        )
        return ranked[0].spec


def read_gpu_table(path: Path) -> GpuTable:
    """Load and validate a GPU data file (columns ``GPU_COLUMNS``; see data/README.md)."""
    specs: list[GpuSpec] = []
    aliases: list[_Alias] = []
    for order, row in enumerate(_rows(path, GPU_COLUMNS)):
        bandwidth = row.number("bandwidth_gbps", MAX_GPU_BANDWIDTH_GBPS)
        assert bandwidth is not None  # required
        spec = GpuSpec(
            key=row.text("key"),
            name=row.text("name"),
            vendor=row.choice("vendor", VENDORS),
            category=row.choice("category", CATEGORIES),
            vram_gb=row.number("vram_gb", MAX_MEMORY_GB, required=False),
            bandwidth_gbps=bandwidth,
            fp16_tflops=row.number("fp16_tflops", MAX_FP16_TFLOPS, required=False),
            memory_type=row.text("memory_type"),
            unified=row.flag("unified"),
            source=row.source(),
            decode_efficiency=row.number("decode_efficiency", 1.0, required=False),
        )
        default = row.flag("default")
        exclude = frozenset(token for word in row.words("exclude", required=False) for token in _tokens(word)[0])
        for pattern in row.words("aliases", required=True):
            tokens, _ = _tokens(pattern)
            if not tokens:
                raise row.fail("aliases", f"{pattern!r} has no letters or digits")
            aliases.append(_Alias(tokens, exclude, spec, default, order))
        specs.append(spec)
    return GpuTable(tuple(specs), tuple(aliases))


# --------------------------------------------------------------------------------------------------
# CPU / system-memory table
# --------------------------------------------------------------------------------------------------

_CPU_NOISE_RE = re.compile(r"\((?:tm|r|c)\)|\bcpu\b|@.*$")
# Apple SoCs: "Apple M3 Max" -> the GPU table's row "apple-m3-max" (the CPU reads the same unified memory).
_APPLE_CPU_RE = re.compile(r"\bapple\s+(m\d+)(?:\s+(pro|max|ultra))?\b")


class CpuTable:
    """CPU platform rows with their name patterns (tried in file order), and the Apple SoC rows."""

    def __init__(self, rules: tuple[tuple[re.Pattern[str], CpuMemorySpec], ...], apple: tuple[CpuMemorySpec, ...]):
        self.specs = tuple(spec for _, spec in rules) + apple
        self._rules = rules
        self._apple = {spec.key: spec for spec in apple}

    def match(self, cpu_name: str) -> CpuMemorySpec | None:
        """See ``match_cpu``."""
        if not cpu_name:
            return None
        s = _CPU_NOISE_RE.sub(" ", cpu_name.lower()).replace("+", " ")
        s = " ".join(s.split())
        for pattern, spec in self._rules:
            if pattern.search(s):
                return spec
        found = _APPLE_CPU_RE.search(s)
        if found:
            return self._apple.get("-".join(["apple", *(part for part in found.groups() if part)]))
        return None


def _apple_cpu_row(spec: GpuSpec) -> CpuMemorySpec:
    return CpuMemorySpec(
        key=spec.key,
        name=spec.name,
        bandwidth_gbps=spec.bandwidth_gbps,
        memory=f"unified {spec.memory_type} (SoC memory bandwidth, same figure as the GPU table)",
        source=spec.source,
    )


def read_cpu_table(path: Path, gpus: GpuTable) -> CpuTable:
    """Load and validate a CPU data file (columns ``CPU_COLUMNS``); Apple rows come from ``gpus``."""
    rules: list[tuple[re.Pattern[str], CpuMemorySpec]] = []
    for row in _rows(path, CPU_COLUMNS):
        bandwidth = row.number("bandwidth_gbps", MAX_CPU_BANDWIDTH_GBPS)
        assert bandwidth is not None  # required
        spec = CpuMemorySpec(
            key=row.text("key"),
            name=row.text("name"),
            bandwidth_gbps=bandwidth,
            memory=row.text("memory"),
            source=row.source(),
        )
        if spec.key.startswith("apple-"):
            raise row.fail("key", "Apple SoC rows live in the GPU table (one figure for CPU and GPU)")
        pattern = row.text("match")
        try:
            compiled = re.compile(pattern)
        except re.error as err:
            raise row.fail("match", f"not a regular expression ({err})") from None
        rules.append((compiled, spec))
    apple = tuple(_apple_cpu_row(spec) for spec in gpus.specs if spec.vendor == "Apple")
    return CpuTable(tuple(rules), apple)


# --------------------------------------------------------------------------------------------------
# The packaged tables, read once at import
# --------------------------------------------------------------------------------------------------

_GPUS = read_gpu_table(DATA_DIR / "gpus.csv")
_CPUS = read_cpu_table(DATA_DIR / "cpus.csv", _GPUS)
GPU_SPECS: tuple[GpuSpec, ...] = _GPUS.specs
CPU_MEMORY_SPECS: tuple[CpuMemorySpec, ...] = _CPUS.specs

# Conservative fallbacks when the CPU is not in the table (the engine must say it used one).
DEFAULT_CPU_BANDWIDTH_GBPS: dict[str, float] = {
    # 2 x DDR4-2666 (2 x 2666 MT/s x 8 B = 42.7 GB/s): the slowest dual-channel DDR4 platform still common;
    # newer DDR5 machines run faster, so estimates err low.
    "x86 desktop/laptop": 42.7,
    # 6 x DDR4-2666 (128 GB/s): the oldest Xeon Scalable platform in the table (Skylake-SP); any current
    # many-core server has at least this much.
    "x86 server": 128.0,
    # 64-bit LPDDR4X-4266 (34.1 GB/s, the RK3588 class): below every Arm server and laptop chip in the table,
    # above a Raspberry-Pi-class board only by a small margin.
    "arm": 34.1,
}


def match_gpu(driver_name: str, vram_gb: float | None = None) -> GpuSpec | None:
    """The spec for a GPU name as a driver prints it, or None when the name is unknown or generic.

    Rules: names are compared as token sequences (case, spaces, hyphens, "(TM)"/"(R)" and vendor words do
    not matter); the longest matching pattern wins, and a pattern never claims a name where the next token
    names another part (L4 vs L40, A10 vs A10G, M3 vs M3 Max, 3080 vs 3080 Ti). When several memory variants
    share the winning pattern, the memory size (``vram_gb`` in GB or GiB, else a size printed in the name)
    picks the closest; without one the variant marked default (the common one) wins, else table order.
    Laptop/mobile names only match laptop or unified parts.
    """
    return _GPUS.match(driver_name, vram_gb)


# The backend a row's ``decode_efficiency`` was measured on: llama.cpp's native backend for each vendor.
NATIVE_BACKEND = {"NVIDIA": "CUDA", "AMD": "ROCm", "Apple": "Metal", "Intel": "SYCL"}


def measured_efficiency(spec: GpuSpec | None, backend: str) -> float | None:
    """The row's measured decode efficiency when the device runs on the backend it was measured on."""
    if spec is None or spec.decode_efficiency is None or NATIVE_BACKEND.get(spec.vendor) != backend:
        return None
    return spec.decode_efficiency


def match_cpu(cpu_name: str) -> CpuMemorySpec | None:
    """The platform memory spec for a CPU name, or None when unknown (caller falls back to
    ``DEFAULT_CPU_BANDWIDTH_GBPS`` and says so). Matches by family/generation, case-insensitively: the
    first cpus.csv row whose ``match`` pattern is found in the cleaned lower-case name, else an Apple SoC."""
    return _CPUS.match(cpu_name)
