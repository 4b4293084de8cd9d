"""The API's own request and response models (the seed's objects live in ``fleetfit.contract``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from fleetfit.contract import CalibrationBasis, Report, System


class ErrorBody(BaseModel):
    error: str = Field(description="What was wrong, naming the parameter or field at fault")


class GpuGroupRef(BaseModel):
    name: str
    count: int
    vram_gb: float = Field(description="memory of one card in GiB")


GPUS_DESCRIPTION = "the node's GPUs by card model, in the order it lists them (a 4090 + 3090 node has two)"


class NodeSummary(BaseModel):
    node_id: str
    hostname: str | None
    os: str | None
    last_seen: datetime = Field(description="collected_at of the node's latest report")
    received_at: datetime = Field(description="when the API stored that report")
    stale: bool = Field(description="no report for longer than the stale period")
    backend: str
    gpu_name: str | None
    gpu_count: int
    gpu_vram_gb: float | None
    gpus: list[GpuGroupRef] = Field(default_factory=list, description=GPUS_DESCRIPTION)
    hw_class: str = Field(description="fingerprint shared by nodes that the fit engine treats alike")
    report_id: str
    probe_version: str


class NodePage(BaseModel):
    nodes: list[NodeSummary]
    next_token: str | None = Field(description="pass as next_token for the next page; null on the last")


class NodeDetail(NodeSummary):
    report: Report = Field(description="the node's latest report")


class IngestAnswer(BaseModel):
    """POST .../reports with `Prefer: return=minimal`: what was stored, without the top models."""

    node_id: str
    report_id: str
    outcome: Literal["latest", "older", "duplicate"]
    unchanged: bool = Field(description="same content as the node's latest: no new history entry")


class NodeDeleted(BaseModel):
    """DELETE /api/v1/nodes/{node_id}: the node, its history and its place in its class count are gone."""

    node_id: str
    deleted: bool = True
    hw_class: str = Field(description="the class whose node count went down by one")


class HistoryEntry(BaseModel):
    received_at: datetime
    hw_class: str
    report: Report


class HistoryPage(BaseModel):
    node_id: str
    reports: list[HistoryEntry] = Field(description="newest collected_at first")
    next_token: str | None


class CatalogInfo(BaseModel):
    version: str = Field(description="content hash of the catalog in use")
    models: int
    loaded_from: str
    source: str = Field(description="'s3' or 'bundled'")
    checked_at: datetime | None = Field(description="last time S3 was asked for a newer object")


class NodeRef(BaseModel):
    name: str
    os: str


class Health(BaseModel):
    status: str
    node: NodeRef
    version: str


# -- fleet-wide answers ---------------------------------------------------------------------------------


class ModelRef(BaseModel):
    name: str
    provider: str | None
    parameter_count: str | None
    context_length: int | None
    use_case: str | None


class FitFacts(BaseModel):
    """How one model runs on one hardware class (every node of the class gets the same answer)."""

    fit_level: str = Field(description="perfect | good | marginal | too_tight")
    run_mode: str = Field(description="gpu | moe_offload | cpu_offload | cpu_only")
    best_quant: str
    runtime: str
    estimated_tps: float
    memory_required_gb: float
    memory_available_gb: float
    utilization_pct: float
    score: float
    kv_quant: str = Field(default="f16", description="llama.cpp KV-cache type the memory and speed assume")
    prompt_tokens: int = Field(default=512, description="prompt length prefill_tps and ttft_ms assume")
    prefill_tps: float | None = Field(default=None, description="prompt-processing tok/s (compute-bound)")
    ttft_ms: float | None = Field(default=None, description="time to first token for prompt_tokens (null: never)")
    why: str = Field(description="the fit in one line: level, where, quant, speed, memory")


class FleetNode(FitFacts):
    node_id: str
    hostname: str | None
    hw_class: str
    backend: str
    gpu_name: str | None
    gpu_count: int
    gpu_vram_gb: float | None
    gpus: list[GpuGroupRef] = Field(default_factory=list, description=GPUS_DESCRIPTION)
    last_seen: datetime = Field(description="collected_at of the node's latest report")
    stale: bool = Field(description="no report for longer than the stale period")
    speed_source: Literal["measured", "calibrated", "estimated"] = Field(
        default="estimated",
        description="where estimated_tps comes from: this node measured the model at best_quant, its speed "
        "class's fleet correction, or physics only (calibration=off: physics, measured_tps still shown)",
    )
    physics_tps: float | None = Field(default=None, description="the physics estimate before measurement")
    measured_tps: float | None = Field(default=None, description="what this node's runtime measured, if it did")
    calibration: CalibrationBasis | None = Field(default=None, description="the correction, when calibrated")


class ClassRef(BaseModel):
    hw_class: str
    nodes: int = Field(description="nodes whose latest report is of this class")
    backend: str
    gpu_name: str | None
    gpu_count: int
    gpu_vram_gb: float | None
    gpus: list[GpuGroupRef] = Field(default_factory=list, description=GPUS_DESCRIPTION)
    total_ram_gb: float
    available_ram_gb: float = Field(description="bucketed: what every node of the class is evaluated with")


class FleetClass(ClassRef, FitFacts):
    stale_nodes: int


class FleetModelPage(BaseModel):
    model: ModelRef
    catalog_version: str
    filters: dict[str, str | int | bool | None]
    total_nodes: int = Field(description="nodes that qualify (stale ones included unless include_stale=false)")
    stale_nodes: int = Field(description="stale nodes among the qualifying classes (listed unless excluded)")
    returned_nodes: int
    classes: list[FleetClass] = Field(description="the qualifying hardware classes, in listing order")
    nodes: list[FleetNode]
    next_token: str | None = Field(description="pass as next_token for the next page; null on the last")


class CompareNode(BaseModel):
    node_id: str
    hostname: str | None
    os: str | None
    last_seen: datetime
    stale: bool
    hw_class: str
    system: System


class NodeFit(FitFacts):
    node_id: str


class CompareRow(BaseModel):
    model: ModelRef
    fits: list[NodeFit] = Field(description="one per node, in the order asked")
    best_node: str | None = Field(description="the fastest node that runs it; null when none does")


class FleetCompare(BaseModel):
    catalog_version: str
    nodes: list[CompareNode]
    models: list[CompareRow]


class NodeCounts(BaseModel):
    total: int
    fresh: int
    stale: int


class ClassCounts(BaseModel):
    total: int = Field(description="hardware classes with at least one node")
    evaluated: int = Field(description="classes with fresh nodes whose evaluation of the catalog is counted")
    pending: int = Field(description="classes not evaluated yet under a new catalog (the next requests do)")


class GpuInventory(BaseModel):
    name: str
    vram_gb: float = Field(description="memory per card (unified: the machine's)")
    unified_memory: bool
    nodes: int
    stale_nodes: int
    cards: int


class BackendCount(BaseModel):
    backend: str
    nodes: int
    stale_nodes: int


class FleetLeader(BaseModel):
    name: str
    variants: int | None = Field(description="rows of its variant group it stands for (null: unknown)")
    nodes: int = Field(description="fresh nodes whose default top list holds it")
    classes: int = Field(description="hardware classes whose default top list holds it")
    best_rank: int = Field(description="the best place it takes in any of those lists (1: first)")


class FleetSummary(BaseModel):
    catalog_version: str
    catalog_models: int
    stale_after_hours: float
    nodes: NodeCounts
    classes: ClassCounts
    gpus: list[GpuInventory] = Field(description="by card model, most cards first")
    backends: list[BackendCount]
    models_by_best_fit: dict[str, int] = Field(
        description="catalog models by the best fit any class with fresh nodes gives them (too_tight: none runs it)"
    )
    best_models: list[FleetLeader] = Field(
        default_factory=list,
        description="extra: what the fleet runs best: the models in the default /models/top (one row per variant "
        "group) of the most fresh nodes, at most 10",
    )


class PlacementRequest(BaseModel):
    model: str = Field(min_length=1, max_length=256, description="catalog model name (exact, any case)")
    replicas: int = Field(
        default=1, ge=1, le=1000, description="replicas; a node takes one per disjoint card set that holds one"
    )
    spread: bool = Field(default=False, description="at most one replica per node (fault isolation)")
    min_fit: Literal["perfect", "good", "marginal"] = "marginal"
    max_context: int | None = Field(default=None, ge=1, le=16_777_216)
    quant: str | None = Field(default=None, max_length=16, description="force a quant (F16, Q8_0, ..., MXFP4)")
    kv_quant: str | None = Field(
        default=None, max_length=16, description="KV-cache type (f16, bf16, q8_0, q4_0, ...; default f16), any case"
    )
    prompt_tokens: int | None = Field(
        default=None, ge=1, le=16_777_216, description="prompt length prefill_tps and ttft_ms assume (default 512)"
    )
    backend: str | None = Field(default=None, max_length=64, description="only nodes whose backend starts with this")
    gpu: str | None = Field(default=None, max_length=64, description="only nodes with a card whose name has this")
    include_stale: bool = Field(default=False, description="also place on nodes with no recent report")
    calibration: Literal["on", "off"] = Field(
        default="on", description="on: measured, else fleet-calibrated, speeds; off: physics only"
    )


class PlacedReplica(FleetNode):
    replica: int
    cards: list[int] = Field(description="the node's GPU indices this replica runs on (0-based); [] on the CPU")


class ClassPlan(ClassRef):
    add_gb: float | None = Field(description="memory to add for the target fit (null: no upgrade reaches it)")
    plan: dict[str, Any] = Field(description="engine plan: current fit, best quant now, upgrades, GPUs that fit")


class PlacementAnswer(BaseModel):
    model: ModelRef
    catalog_version: str
    replicas: int
    spread: bool = Field(description="at most one replica per node")
    min_fit: str
    candidates: int = Field(description="nodes that run it at min_fit or better (fresh ones unless include_stale)")
    capacity: int = Field(description="replicas those nodes hold together (one per node with spread)")
    placed: list[PlacedReplica]
    unplaced: int
    plans: list[ClassPlan] = Field(description="when replicas are left unplaced: what would make more nodes fit")
    note: str


# -- the dashboard's routes (fleet matrix, catalog autocomplete) ------------------------------------------


class MatrixModel(BaseModel):
    name: str
    provider: str | None
    parameter_count: str | None
    use_case: str | None


class MatrixCell(BaseModel):
    """One model on one hardware class, short: the full Model object is GET /api/v1/nodes/{id}/models/{name}."""

    fit: str = Field(description="perfect | good | marginal | too_tight")
    tps: float = Field(description="estimated decode tok/s (physics: the node routes apply measurements)")
    quant: str
    mode: str = Field(description="gpu | moe_offload | cpu_offload | cpu_only")


class MatrixClass(ClassRef):
    stale_nodes: int
    cpu_name: str
    example_node: str | None = Field(description="a node of the class, for its Model objects and node page")


class MatrixNode(BaseModel):
    node_id: str
    hostname: str | None
    stale: bool
    last_seen: datetime
    class_index: int | None = Field(description="its row in `classes` and `cells`")


class FleetMatrix(BaseModel):
    catalog_version: str
    rows: Literal["class", "node"]
    selection: dict[str, str | int | None] = Field(description="top, use_case, search as applied")
    models: list[MatrixModel] = Field(description="the columns, in order")
    classes: list[MatrixClass] = Field(description="hardware classes with nodes, by class id")
    cells: list[list[MatrixCell]] = Field(description="cells[i][j]: model j on class i")
    pending_classes: int = Field(description="classes whose digest was not ready in time (not in the model choice)")
    nodes: list[MatrixNode] | None = Field(description="rows=node: a page of nodes, each pointing at its class")
    next_token: str | None = Field(description="rows=node: pass as next_token for the next page")


class CatalogMatches(BaseModel):
    catalog_version: str
    q: str
    total: int = Field(description="catalog models whose name contains q")
    models: list[MatrixModel] = Field(description="names that start with q first, then first-party, then downloads")


class PlanRequest(BaseModel):
    """POST /api/v1/plan (llmfit's body): one model at a context, quant and KV-cache type."""

    model: str = Field(min_length=1, max_length=256, description="catalog model name (exact, any case)")
    context: int = Field(ge=1, le=16_777_216, description="context tokens to plan for (capped at the model's window)")
    quant: str | None = Field(default=None, max_length=32, description="llama.cpp quant (default Q4_K_M, or native)")
    kv_quant: str | None = Field(
        default=None, max_length=16, description="KV-cache type: fp16 (f16), bf16, q8_0, q4_0, ... (fp8, tq: 400)"
    )
    target_tps: float | None = Field(default=None, gt=0, le=1e6, allow_inf_nan=False, description="decode tok/s wanted")
    ram_gb: float | None = Field(default=None, ge=0.01, le=65536, allow_inf_nan=False, description="what-if RAM")
    vram_gb: float | None = Field(default=None, ge=0, le=1024, allow_inf_nan=False, description="what-if VRAM per card")
    cpu_cores: int | None = Field(default=None, ge=1, le=8192, description="what-if cores")


class PlanHardware(BaseModel):
    vram_gb: float | None = Field(description="GPU memory in all (GiB); null: none or unified")
    vram_per_card_gb: float | None = Field(description="per card of the primary GPU model")
    gpu: str | None
    gpu_count: int
    unified_memory_gb: float | None = Field(description="unified memory (RAM that is the GPU's too)")
    ram_gb: float | None = Field(description="RAM free for the model; null: the node's is enough and unchanged")
    cpu_cores: int


class PlanPath(BaseModel):
    path: str = Field(description="gpu | moe_offload | cpu_offload | cpu_only")
    feasible: bool
    fit_level: str | None = Field(description="at the minimum")
    estimated_tps: float | None = Field(description="at the minimum")
    minimum: PlanHardware | None = Field(description="the least hardware that runs it (0.01 GiB less does not)")
    recommended: PlanHardware | None = Field(description="the least hardware for a good fit")
    recommended_tps: float | None = None
    meets_target_tps: bool | None = Field(description="target_tps reached at the recommended (else minimum) size")
    runs_now: bool = Field(description="this node runs it on this path as it is")
    notes: list[str] = Field(default_factory=list)


class PlanDelta(BaseModel):
    path: str
    resource: str = Field(description="vram_per_card_gb | unified_memory_gb | ram_gb")
    add_gb: float
    target_fit: str
    description: str
    add_cores: int | None = Field(default=None, description="llmfit's key: always null (cores change speed, not fit)")


class KvAlternative(BaseModel):
    kv_quant: str
    kv_cache_gb: float
    memory_required_gb: float
    fit_level: str
    savings_fraction: float = Field(description="KV cache saved against f16")
    supported: bool
    note: str | None


class PlanCurrent(BaseModel):
    fit_level: str
    run_mode: str
    estimated_tps: float
    memory_required_gb: float
    memory_available_gb: float


class PlanAnswer(BaseModel):
    node: NodeRef
    model_name: str
    provider: str
    context: int
    quantization: str
    kv_quant: str
    target_tps: float | None
    disk_size_gb: float
    current: PlanCurrent
    minimum: PlanHardware | None = Field(description="llmfit's key: the minimum of headline_path")
    recommended: PlanHardware | None = Field(description="llmfit's key: the recommended size of headline_path")
    headline_path: str | None = Field(description="the path this node runs it on now, else the first that runs it")
    run_paths: list[PlanPath]
    upgrade_deltas: list[PlanDelta]
    kv_alternatives: list[KvAlternative]
    estimate_notice: str
