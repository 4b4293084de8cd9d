"""The wire contract: the seed's System object, Model object and envelope, plus the probe report.

Every field the seed lists is here under the seed's name and type. Fields the seed does not list are
marked "extra" in their description; they are additions a user gains from, never renames.
The OpenAPI document is generated from these models.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Backend = Literal["CUDA", "ROCm", "Metal", "CPU (x86)", "CPU (ARM)", "Vulkan", "SYCL"]
FitLevel = Literal["perfect", "good", "marginal", "too_tight"]
RunMode = Literal["gpu", "moe_offload", "cpu_offload", "cpu_only"]
Runtime = Literal["mlx", "llamacpp"]
UseCase = Literal["General", "Coding", "Reasoning", "Chat", "Multimodal", "Embedding"]

FIT_LABELS: dict[str, str] = {
    "perfect": "Perfect",
    "good": "Good",
    "marginal": "Marginal",
    "too_tight": "Too Tight",
}
RUN_MODE_LABELS: dict[str, str] = {
    "gpu": "GPU",
    "moe_offload": "MoE Offload",
    "cpu_offload": "CPU Offload",
    "cpu_only": "CPU Only",
}
RUNTIME_LABELS: dict[str, str] = {"mlx": "MLX", "llamacpp": "llama.cpp"}


class _Contract(BaseModel):
    # Unknown fields are ignored on input so newer probes can talk to older servers (seed: forward compatibility).
    # defer_build: a model's validator is built on first use, so a CLI run pays only for the models it uses.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


# -- bounds on what a node may report (what a real machine can be, with a wide margin) ----------------------
# Each bound keeps the engine's work and the stores' numbers finite; a value past it is a 422 naming the field.
MAX_GPUS = 64  # the largest single-host GPU servers hold 8-16 cards (NVIDIA HGX B200: 8; 10-GPU 4U chassis); 4x that
MAX_VRAM_GB = 1024.0  # one device: AMD MI355X has 288 GB HBM3E, Apple M3 Ultra 512 GB unified memory; 2x that
MAX_RAM_GB = 65536.0  # 64 TiB: HPE Superdome Flex, the largest x86 single system image, tops out at 48 TB
MAX_CPU_CORES = 8192  # Linux NR_CPUS with CONFIG_MAXSMP on x86_64 (arch/x86/Kconfig)
MAX_BANDWIDTH_GBPS = 100_000.0  # NVIDIA B200 HBM3E is 8 TB/s per card; 12x that
MIN_COLLECTED_AT = datetime(2000, 1, 1, tzinfo=UTC)  # before it: a node clock never set (1970) or a typo
MAX_COLLECTED_AT = datetime(2100, 1, 1, tzinfo=UTC)  # the API also refuses clocks running ahead of its own
VRAM_TOTAL_SLACK = 0.02  # gpu_vram_gb is the sum of the cards, rounded by the probe to 2 decimals: 2 % or 1 GiB

# Characters a name never needs and a terminal or a table would act on: C0/C1 controls, unpaired surrogates
# (not encodable as UTF-8: they cannot be stored), and the bidi overrides/isolates of Unicode TR9 that reorder
# what a reader sees (CVE-2021-42574, "Trojan Source"). Each is replaced by U+FFFD, so a reader sees that
# something was there and a node whose driver prints one still reports (a refusal would dead-letter it).
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _plain_text(value: str) -> str:
    return _UNSAFE_CHARS.sub("\ufffd", value)


Text = Annotated[str, AfterValidator(_plain_text)]


STORED = {"stored": True}
"""Validation context for reports and systems read back from a store: the cross-field rules added after they
were accepted (totals, timestamp range) are not applied again, so that a stricter server never turns stored
data into errors for the whole fleet. Field types and bounds still apply."""


def _stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get("stored"))


class _Input(_Contract):
    """What a client sends: numbers must be finite (JSON has no NaN or Infinity; Python's parser accepts them)."""

    model_config = ConfigDict(allow_inf_nan=False)


class Gpu(_Input):
    """One group of identical GPUs on a node."""

    name: Text = Field(min_length=1, max_length=256, description="GPU name as the driver prints it")
    vram_gb: float = Field(ge=0, le=MAX_VRAM_GB, description="Memory of one card in GiB")
    backend: Backend
    count: int = Field(default=1, ge=1, le=MAX_GPUS, description="Number of identical cards in this group")
    unified_memory: bool = False
    free_vram_gb: float | None = Field(
        default=None, ge=0, le=MAX_VRAM_GB, description="extra: free memory of one card when the probe ran (GiB)"
    )
    memory_bandwidth_gbps: float | None = Field(
        default=None,
        gt=0,
        le=MAX_BANDWIDTH_GBPS,
        description="extra: peak memory bandwidth of one card in GB/s, when known",
    )


class System(_Input):
    """A node's hardware, as the seed's System object."""

    total_ram_gb: float = Field(gt=0, le=MAX_RAM_GB, description="Total system RAM in GiB (2 decimals)")
    available_ram_gb: float = Field(ge=0, le=MAX_RAM_GB, description="Currently available system RAM in GiB")
    cpu_cores: int = Field(ge=1, le=MAX_CPU_CORES, description="Number of logical CPU cores")
    cpu_name: Text = Field(max_length=256, description="CPU model name")
    has_gpu: bool
    gpu_vram_gb: float | None = Field(
        ge=0, le=MAX_GPUS * MAX_VRAM_GB, description="Total VRAM across all GPUs in GiB (null if no GPU)"
    )
    gpu_name: Text | None = Field(max_length=256, description="Primary GPU name (null if no GPU)")
    gpu_count: int = Field(ge=0, le=MAX_GPUS, description=f"Number of GPUs (at most {MAX_GPUS})")
    unified_memory: bool
    backend: Backend
    gpus: list[Gpu] = Field(
        default_factory=list, max_length=MAX_GPUS, description=f"GPU groups (at most {MAX_GPUS} cards in all)"
    )
    ram_bandwidth_gbps: float | None = Field(
        default=None,
        gt=0,
        le=MAX_BANDWIDTH_GBPS,
        description="extra: system RAM bandwidth in GB/s, when known or measured",
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> System:
        if self.available_ram_gb > self.total_ram_gb + 0.01:
            raise ValueError("available_ram_gb cannot exceed total_ram_gb")
        if self.has_gpu and not self.gpus:
            raise ValueError("gpus must list the GPUs when has_gpu is true")
        if not self.has_gpu and self.gpus:
            raise ValueError("has_gpu is false but gpus is not empty")
        counted = sum(g.count for g in self.gpus)
        if self.gpus and self.gpu_count != counted:
            raise ValueError(f"gpu_count is {self.gpu_count} but gpus lists {counted} cards")
        if _stored(info):  # read back from a store: it was accepted by the rules of its day
            return self
        if self.gpus and self.gpu_vram_gb is not None:
            listed = sum(g.vram_gb * g.count for g in self.gpus)
            if abs(self.gpu_vram_gb - listed) > max(1.0, VRAM_TOTAL_SLACK * listed):
                raise ValueError(f"gpu_vram_gb is {self.gpu_vram_gb:g} but the cards in gpus hold {listed:g} GiB")
        for gpu in self.gpus:
            if gpu.free_vram_gb is not None and gpu.free_vram_gb > gpu.vram_gb + 1.0:
                raise ValueError(f"free_vram_gb of {gpu.name!r} exceeds its vram_gb")
        return self


class ScoreComponents(_Contract):
    quality: float
    speed: float
    fit: float
    context: float


class MemoryBreakdown(_Contract):
    """extra: where memory_required_gb goes (GiB)."""

    weights_gb: float
    kv_cache_gb: float
    overhead_gb: float


class EstimateBasis(_Contract):
    """extra: the inputs behind estimated_tps, so a user can check them."""

    method: Literal["bandwidth_roofline", "cpu_bandwidth", "unknown_gpu_fallback"]
    gpu_bandwidth_gbps: float | None
    ram_bandwidth_gbps: float | None
    efficiency: float = Field(
        description="share of peak bandwidth decode reaches: the GPU's (GPU modes) or the RAM's (cpu_bandwidth)"
    )
    bytes_per_token_gb: float
    context_tokens: int
    prompt_tokens: int = Field(default=512, description="extra: prompt length prefill_tps and ttft_ms assume")
    kv_cache_type: str = Field(
        default="f16", description="extra: llama.cpp KV-cache type the memory and speed assume (kv_quant)"
    )
    source: Literal["measured", "calibrated", "estimated"] = Field(
        default="estimated",
        description="extra: where estimated_tps comes from: this node measured it, nodes of its speed class "
        "did (the physics estimate x their correction), or physics only ('method' says which physics)",
    )
    calibration: CalibrationBasis | None = Field(default=None, description="extra: the correction applied")


class CalibrationBasis(_Contract):
    """extra: the fleet correction behind a calibrated estimate."""

    factor: float = Field(gt=0, description="physics estimate x factor = estimated_tps")
    low: float = Field(gt=0, description="~95 % interval of the factor")
    high: float = Field(gt=0)
    measurements: int = Field(ge=0)
    nodes: int = Field(ge=0)
    physics_tps: float = Field(ge=0, description="the estimate before the correction")
    ram_effective_gbps: float | None = Field(
        default=None, description="extra: GB/s CPU decode was estimated at (modes that read system RAM)"
    )
    cpu_limit: Literal["memory", "compute"] | None = Field(
        default=None,
        description="extra: what bounds CPU decode: the RAM's bandwidth, or what the threads can dequantize",
    )


class ModelFit(_Contract):
    """The seed's Model object: a full fit analysis of one model on one node."""

    name: str
    provider: str
    parameter_count: str
    params_b: float
    context_length: int
    release_date: str | None
    is_moe: bool
    use_case: UseCase
    category: UseCase
    fit_level: FitLevel
    fit_label: str
    run_mode: RunMode
    run_mode_label: str
    score: float
    score_components: ScoreComponents
    estimated_tps: float
    runtime: Runtime
    runtime_label: str
    best_quant: str
    memory_required_gb: float
    memory_available_gb: float
    utilization_pct: float
    notes: list[str]
    gguf_sources: list[str]
    # extras
    memory_breakdown: MemoryBreakdown
    effective_context_length: int = Field(description="extra: context the memory estimate assumes")
    estimated_tps_full_context: float = Field(
        description="extra: decode tok/s once the effective context is full (KV read each token)"
    )
    prefill_tps: float | None = Field(
        default=None,
        description="extra: prompt-processing tok/s (compute-bound) at estimate_basis.prompt_tokens",
    )
    ttft_ms: float | None = Field(
        default=None, description="extra: time to first token, ms: the prompt at prefill_tps, then one decode step"
    )
    moe_offloaded_gb: float | None = Field(
        default=None, description="extra: expert weights kept in system RAM (moe_offload only)"
    )
    gpu_layers_fraction: float | None = Field(
        default=None, description="extra: share of the weights on the GPU (cpu_offload only)"
    )
    estimate_confidence: Literal["high", "medium", "low"] = Field(
        description="extra: how complete the facts behind this estimate are"
    )
    estimate_basis: EstimateBasis
    license: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    installed: bool | None = Field(
        default=None,
        description="llmfit's field: a runtime on the node serves this model now; null when the node reported "
        "no inference servers (the probe could not tell)",
    )
    measured_tps: float | None = Field(
        default=None, description="llmfit's field: decode tok/s this node's runtime measured for this model and quant"
    )
    # llmfit's keys (its REST clients read them), computed by fleetfit's engine
    usable_context: int = Field(
        default=0, description="llmfit's field: the largest context whose KV cache still fits beside the weights"
    )
    disk_size_gb: float | None = Field(default=None, description="llmfit's field: GiB of weights at best_quant")
    total_memory_gb: float | None = Field(
        default=None, description="llmfit's field: GiB needed in all (GPU and system RAM together)"
    )
    supports_tp: list[int] | None = Field(
        default=None,
        description="llmfit's field: tensor-parallel degrees 1-8 dividing the attention and KV heads (null: heads unknown)",
    )
    verify_command: str | None = Field(
        default=None, description="llmfit's field: the llama-bench run that measures this row as placed (llama.cpp)"
    )
    capability_ids: list[str] = Field(default_factory=list, description="llmfit's field: capabilities as ids")
    estimate_confidence_label: str | None = Field(
        default=None, description="llmfit's field: estimate_confidence in words"
    )
    ollama_name: str | None = Field(
        default=None, description="llmfit's field: `ollama pull` name of the first GGUF repo listed (hf.co/...:QUANT)"
    )
    variants: int | None = Field(
        default=None,
        ge=1,
        description="extra: in a grouped listing (group=base), how many rows of this model's variant group "
        "(fine-tunes, re-uploads, repacks of one base) this row stands for, itself included; absent when ungrouped",
    )


class Node(_Contract):
    name: str
    os: str


class Envelope(_Contract):
    """What every model-listing endpoint returns."""

    node: Node
    system: System
    total_models: int
    returned_models: int
    filters: dict[str, object]
    models: list[ModelFit]
    catalog_version: str | None = Field(default=None, description="extra: content hash of the catalog used")


RuntimeKind = Literal["llamacpp", "ollama", "vllm", "sglang", "lmstudio", "llama-bench"]


class ServedModel(_Input):
    """extra: one model a runtime on the node serves (or llama-bench measured), as the runtime states it."""

    name: Text = Field(min_length=1, max_length=200, description="the runtime's name for it (Ollama tag, served id)")
    file: str | None = Field(
        default=None,
        max_length=255,
        pattern=r"^[^/\\]+$",
        description="the model's own file name (no directory), when the runtime loaded a file",
    )
    repo: str | None = Field(
        default=None, max_length=200, pattern=r"^[A-Za-z0-9][\w.-]*/[\w.-]+$", description="Hub repo it came from"
    )
    quant: str | None = Field(default=None, max_length=32, description="quantization as the runtime states it")
    context: int | None = Field(default=None, ge=1, le=16_777_216, description="context the runtime serves")
    measured_decode_tps: float | None = Field(
        default=None, ge=0, le=1e6, allow_inf_nan=False, description="generation tokens/s the runtime measured"
    )
    measured_prefill_tps: float | None = Field(
        default=None, ge=0, le=1e7, allow_inf_nan=False, description="prompt tokens/s the runtime measured"
    )
    samples: int = Field(default=0, ge=0, description="observations the rates average over (runtime's count)")
    measured_at: datetime | None = Field(default=None, description="when the rates were read")
    loaded: bool | None = Field(default=None, description="in memory now; null when the runtime cannot say")
    size_bytes: int | None = Field(default=None, ge=0, description="file size, when the runtime states it")


class RuntimeInfo(_Input):
    """extra: one inference server found on the node (read-only probes of its documented routes)."""

    kind: RuntimeKind
    version: str | None = Field(default=None, max_length=64)
    url: str = Field(
        max_length=256,
        pattern=r"^(https?://[^/?#@\s]+(/[^?#@\s]*)?|local)$",
        description="where it answers, without credentials or query; 'local' for llama-bench",
    )
    models: list[ServedModel] = Field(default_factory=list, max_length=64)


class Report(_Input):
    """A probe's report of one node: what POST /api/v1/reports takes."""

    node_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
    report_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    probe_version: Text = Field(min_length=1, max_length=32)
    collected_at: datetime = Field(
        description="When the probe read the hardware (2000-01-01 to 2100-01-01, with a zone)"
    )
    hostname: Text | None = Field(default=None, max_length=255)
    os: Text | None = Field(default=None, max_length=64)
    system: System
    notes: list[Annotated[Text, Field(max_length=1024)]] = Field(
        default_factory=list,
        max_length=64,
        description="extra: how the probe read the hardware (fallback sources used, devices ignored, caveats)",
    )
    runtimes: list[RuntimeInfo] = Field(
        default_factory=list,
        max_length=16,
        description="extra: inference servers running on the node, what they serve and how fast they measured it",
    )

    @field_validator("collected_at")
    @classmethod
    def _aware(cls, value: datetime, info: ValidationInfo) -> datetime:
        if value.tzinfo is None:
            raise ValueError("collected_at must carry a timezone (ISO 8601 with Z or an offset)")
        if not _stored(info) and not MIN_COLLECTED_AT <= value < MAX_COLLECTED_AT:
            raise ValueError("collected_at must be between 2000-01-01 and 2100-01-01 UTC: check the node's clock")
        return value
