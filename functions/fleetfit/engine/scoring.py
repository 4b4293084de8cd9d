"""fit_level and score: the seed's labels and its weighted composite.

score = 0.3 x quality + 0.3 x speed + 0.25 x fit + 0.15 x context     (each 0-100, seed)

quality = size (dense equivalent) + family task evidence + recency of the original release + trust
          (first-party repo, downloads, likes) - a penalty for repos that are no assistant for the use case,
          minus the quant's cost;
speed   = 0 at <= 1 tok/s, log-scaled to 55 at 4/5 of the use case's usable rate, steeply to 88 at the rate,
          +12 over the next 4x (continuous);
          usable rates (data/ranking.json, with sources): reading speed ~5.3 tok/s -> 6 tok/s for General,
          Chat and Multimodal; 15 for Coding; 20 for Reasoning (hidden chains of thought); 200 for Embedding;
fit     = 100 up to 80 % of the pool, quadratic to 0 at 100 %.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fleetfit.engine.placement import Placement
from fleetfit.engine.quants import QUANTS, TIER_OF_Q4_K_M, TIER_OF_Q5_K_M

SCORE_WEIGHTS = {"quality": 0.30, "speed": 0.30, "fit": 0.25, "context": 0.15}
# composite reads them as names (it runs for every rung tried: ~30k times per System)
_W_QUALITY, _W_SPEED, _W_FIT, _W_CONTEXT = (SCORE_WEIGHTS[k] for k in ("quality", "speed", "fit", "context"))
# Above this share of the pool a model "barely fits" (marginal); above HEADROOM it is at best good.
LOW_HEADROOM = 0.95
HEADROOM = 0.90
# cpu_offload keeps "good" only while most of the model runs on the GPU (seed: "some layer offloading").
GOOD_OFFLOAD_SHARE = 0.75
# The ranking's data tables, each with its source: data/ranking.json.
DATA_DIR = Path(__file__).resolve().parent / "data"


def _load(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


_DATA = _load("ranking.json")
SIZE_WEIGHT: float = _DATA["size_curve"]["weight"]
MOE_TOTAL_EXPONENT: float = _DATA["size_curve"]["moe_total_exponent"]
SIZE_CURVE: tuple[tuple[float, float], ...] = tuple(
    (float(x), SIZE_WEIGHT * float(y) / 100.0) for x, y in _DATA["size_curve"]["points"]
)
_FAMILY = _DATA["family_evidence"]
FAMILY_NEUTRAL: float = _FAMILY["neutral"]
FAMILY_POINTS_PER_POINT: float = _FAMILY["points_per_point"]
TASKS_OF_USE_CASE: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _FAMILY["task_of_use_case"].items()}
FAMILY_SCORES: tuple[tuple[str, dict[str, float]], ...] = tuple(
    (needle, row["scores"]) for row in _load(_FAMILY["file"])["families"] for needle in row["match"]
)
RECENCY_STEPS: tuple[tuple[float, float], ...] = tuple((float(m), float(c)) for m, c in _DATA["recency"]["steps"])
RECENCY_OLDER: float = _DATA["recency"]["older"]
TRUST: dict[str, Any] = _DATA["trust"]
KIND_PENALTY: dict[str, float] = _DATA["kind_penalty"]["points"]
UNVERIFIED_RUNTIME_PENALTY: float = _DATA["unverified_runtime"]["points"]
FIT_FULL_UNTIL: float = _DATA["fit_curve"]["full_until"]
UNPROVEN: dict[str, float] = _DATA["unproven_size"]
EXPERIMENTAL_PENALTY: float = _DATA["experimental"]["points"]
DOMAIN_PENALTY: float = _DATA["domain"]["points"]
KIND_SERVES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["kind_penalty"]["serves"].items()}
NEVER_KINDS = frozenset(_DATA["kind_penalty"]["never_in"]["kinds"])
NEVER_IN_USE_CASES = frozenset(_DATA["kind_penalty"]["never_in"]["use_cases"])
USABLE_TPS: dict[str, float] = _DATA["usable_speed"]["tok_s"]
SPEED_AT_USABLE: float = _DATA["usable_speed"]["points_at_usable"]
SPEED_BONUS_SPAN: float = _DATA["usable_speed"]["bonus_span"]
SPEED_SHORT_RATIO: float = _DATA["usable_speed"]["short_of_usable"]["ratio"]
SPEED_AT_SHORT: float = _DATA["usable_speed"]["short_of_usable"]["points"]
# Context a use case needs to be unconstrained (tokens): documents and chats 32K, repositories and long
# chains of thought 64K, embedding inputs 8K.
CONTEXT_TARGET = {
    "General": 32768,
    "Chat": 32768,
    "Multimodal": 32768,
    "Coding": 65536,
    "Reasoning": 65536,
    "Embedding": 8192,
}


def fit_level(placement: Placement) -> str:
    """perfect: all in VRAM at Q5_K_M or better; good: Q4-class or some offload; marginal: Q3/Q2, heavy
    offload or under 5 % free; too_tight: does not fit (seed, Fit Levels Explained)."""
    if not placement.fits:
        return "too_tight"
    tier = QUANTS[placement.quant].tier
    if placement.mode == "gpu":
        level = "perfect" if tier >= TIER_OF_Q5_K_M else "good" if tier >= TIER_OF_Q4_K_M else "marginal"
    elif placement.mode == "cpu_offload":
        heavy = (placement.gpu_share or 0.0) < GOOD_OFFLOAD_SHARE
        level = "good" if tier >= TIER_OF_Q4_K_M and not heavy else "marginal"
    else:
        level = "good" if tier >= TIER_OF_Q4_K_M else "marginal"
    utilization = placement.utilization
    if utilization > LOW_HEADROOM:
        return "marginal"
    if utilization > HEADROOM and level == "perfect":
        return "good"
    return level


def composite(quality: float, speed: float, fit: float, context: float) -> float:
    """The seed's weighted sum, rounded to one decimal."""
    return round(_W_QUALITY * quality + _W_SPEED * speed + _W_FIT * fit + _W_CONTEXT * context, 1)


def _months_between(earlier: str, later: date) -> float | None:
    try:
        released = date.fromisoformat(earlier)
    except ValueError:
        return None
    return (later - released).days / 30.44


# -- quality: capability with evidence (tables and their sources: data/ranking.json) ----------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """What quality reads about a model. Catalog fields that an older catalog lacks take these defaults."""

    name: str
    params_b: float
    active_b: float | None = None  # MoE: active parameters per token
    origin_date: str | None = None  # release of the group's original, not of a re-upload
    downloads: int = 0  # of the whole variant group: how much this line of weights is run
    likes: int = 0
    first_party: bool = False
    kind: str = "chat"
    original: bool = True  # the representative of its variant group (no `group`: its own)
    runtime_unverified: bool = False  # no GGUF and an unknown architecture: llama.cpp may not run it
    experimental: bool = False  # its publisher names it an experiment (-Exp, -wip, academic-, ...)
    domain: bool = False  # a tune for one field's work (medical, legal, finance, security, telemetry, ...)


def evidence_of(entry: Mapping[str, Any], params: float, active: float | None) -> Evidence:
    """The Evidence of a catalog entry (`origin_date` falls back to the entry's own release date)."""
    get = entry.get
    return Evidence(
        name=entry["name"],
        params_b=params / 1e9,
        active_b=active / 1e9 if active else None,
        origin_date=get("origin_date", get("release_date")),
        downloads=int(get("group_downloads", get("downloads")) or 0),
        likes=int(get("likes") or 0),
        first_party=bool(get("first_party", False)),
        kind=get("kind") or "chat",
        original=get("group") in (None, entry["name"]),
        runtime_unverified=bool(get("runtime_unverified", False)),
        experimental=bool(get("experimental", False)),
        domain=bool(get("domain", False)),
    )


def size_points(params_b: float, active_b: float | None = None) -> float:
    """Capability by size (SIZE_CURVE, log-interpolated, 0 to SIZE_WEIGHT): steep from 0.3 to 4 B, still
    rising to ~240 B dense-equivalent. MoE counts total^0.65 x active^0.35 (MOE_TOTAL_EXPONENT: Qwen3-30B-A3B
    scores with Qwen3-14B)."""
    effective = params_b**MOE_TOTAL_EXPONENT * active_b ** (1.0 - MOE_TOTAL_EXPONENT) if active_b else params_b
    points = SIZE_CURVE
    if effective <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if effective <= x1:
            return y0 + (y1 - y0) * math.log(effective / x0) / math.log(x1 / x0)
    return points[-1][1]


def proven_share(downloads: int, first_party: bool) -> float:
    """How much evidence beyond its size a model has (0-1): how many people run its line (log-interpolated
    from UNPROVEN floor to proven_downloads), and a lab's own release is first_party_share of the way there."""
    if downloads >= UNPROVEN["proven_downloads"]:
        adopted = 1.0
    elif downloads <= UNPROVEN["floor"]:
        adopted = 0.0
    else:
        adopted = math.log(downloads / UNPROVEN["floor"]) / math.log(UNPROVEN["proven_downloads"] / UNPROVEN["floor"])
    lab = UNPROVEN["first_party_share"] if first_party else 0.0
    return 1.0 - (1.0 - lab) * (1.0 - adopted)


def family_points(name: str, category: str) -> float:
    """Task evidence of the model's family (llmfit's use_case_benchmarks: longest matching substring of the
    lowercased name), as points around the neutral score; 0 when the family has no entry."""
    tasks = TASKS_OF_USE_CASE.get(category, ())
    if not tasks:
        return 0.0
    lowered = name.lower()
    best: tuple[int, Mapping[str, float]] | None = None
    for needle, scores in FAMILY_SCORES:
        if needle in lowered and (best is None or len(needle) > best[0]):
            best = (len(needle), scores)
    if best is None:
        return 0.0
    known = [best[1][task] for task in tasks if task in best[1]]
    if not known:
        return 0.0
    return FAMILY_POINTS_PER_POINT * (sum(known) / len(known) - FAMILY_NEUTRAL)


def recency_points(origin_date: str | None, reference: date) -> float:
    """Credit for a newer generation and a cost for an older one, dated by the group's original release
    (RECENCY_STEPS, RECENCY_OLDER past the last step); an undated line gets 0."""
    months = _months_between(origin_date, reference) if origin_date else None
    if months is None:
        return 0.0
    return next((credit for limit, credit in RECENCY_STEPS if months <= limit), RECENCY_OLDER)


def _decades(count: int, rule: Mapping[str, float]) -> float:
    if count <= rule["floor"]:
        return 0.0
    return min(rule["max"], rule["per_decade"] * math.log10(count / rule["floor"]))


def trust_points(downloads: int, likes: int, first_party: bool, original: bool = True) -> float:
    """Provenance: the releasing lab's own repository, the original of its variant group, how many people
    download its line (every repo of the variant group: re-uploads and GGUFs of gpt-oss-20b are gpt-oss-20b being
    run) and like the repository itself (log-scaled, bounded)."""
    first = TRUST["first_party"] if first_party else 0.0
    first += TRUST["original"] if original else 0.0
    return first + _decades(downloads, TRUST["downloads"]) + _decades(likes, TRUST["likes"])


def kind_penalty(kind: str, category: str) -> float:
    """Points off for a repository that is not an assistant for the use case (base, guard, reward, draft,
    stub, OCR, speech, embedding), unless its use case is one that kind serves."""
    if category in KIND_SERVES.get(kind, ()):
        return 0.0
    return KIND_PENALTY.get(kind, 0.0)


def never_ranked(kind: str, asked: str | None, category: str = "General") -> bool:
    """OCR, speech and embedding models (and Embedding-use-case models) never appear in a General or Chat
    ranking; `asked` is the use case asked for (None: the default ranking, read as General)."""
    return hides_never_ranked(asked) and never_ranked_kind(kind, category)


def hides_never_ranked(asked: str | None) -> bool:
    """Whether a ranking for the use case `asked` leaves out never_ranked models (General, Chat, the default)."""
    return asked is None or asked in NEVER_IN_USE_CASES


def never_ranked_kind(kind: str, category: str) -> bool:
    """Whether a model of this kind and use case is one that never_ranked leaves out, where it does."""
    return kind in NEVER_KINDS or category == "Embedding"


def quality_base(evidence: Evidence, category: str, reference: date) -> float:
    """Capability before the quant: size (discounted while nothing but size shows it) + family evidence + recency
    + trust - kind, unverified-runtime, experiment and domain-tune penalties, 0-100."""
    e = evidence
    unproven = UNPROVEN["discount"] * (1.0 - proven_share(e.downloads, e.first_party))
    return _clamp(
        size_points(e.params_b, e.active_b) * (1.0 - unproven)
        + family_points(e.name, category)
        + recency_points(e.origin_date, reference)
        + trust_points(e.downloads, e.likes, e.first_party, e.original)
        - kind_penalty(e.kind, category)
        - (UNVERIFIED_RUNTIME_PENALTY if e.runtime_unverified else 0.0)
        - (EXPERIMENTAL_PENALTY if e.experimental else 0.0)
        - (DOMAIN_PENALTY if e.domain else 0.0)
    )


def entry_quality_base(
    entry: Mapping[str, Any], params: float, active: float | None, category: str, reference: date
) -> float:
    """quality_base of a catalog entry (its Evidence read by evidence_of)."""
    return quality_base(evidence_of(entry, params, active), category, reference)


def quality(base: float, quant: str) -> float:
    """quality_base minus the quant's perplexity cost, clamped to 0-100."""
    return _clamp(base - QUANTS[quant].quality_penalty)


def speed(tps: float, category: str) -> float:
    """Saturates once the model is usable (USABLE_TPS: reading speed for chat, more for coding and reasoning,
    throughput for embeddings): 0 at 1 tok/s or less, log-scaled up to SPEED_AT_SHORT at SPEED_SHORT_RATIO of
    the usable rate, then steeply up to SPEED_AT_USABLE at the rate (falling short of it costs most just under
    it), then a small reward up to 100 at SPEED_BONUS_SPAN x the rate. Continuous: no step anywhere."""
    usable = USABLE_TPS.get(category, USABLE_TPS["General"])
    short = usable * SPEED_SHORT_RATIO
    if tps <= 1.0:
        return 0.0
    if tps < short:
        return SPEED_AT_SHORT * math.log(tps) / math.log(short)  # 1 < tps < short
    if tps < usable:
        return SPEED_AT_SHORT + (SPEED_AT_USABLE - SPEED_AT_SHORT) * math.log(tps / short) / math.log(usable / short)
    bonus = min(1.0, math.log(tps / usable) / math.log(SPEED_BONUS_SPAN))
    return SPEED_AT_USABLE + (100.0 - SPEED_AT_USABLE) * bonus


def usable_tps(category: str) -> float:
    return USABLE_TPS.get(category, USABLE_TPS["General"])


def fit(utilization: float, fits: bool) -> float:
    """100 up to FIT_FULL_UNTIL (80 %) of the pool, then down to 0 at 100 % (quadratic: 90 % scores 75, 95 %
    44); a model that fills the card is how it is meant to be used (data/ranking.json fit_curve)."""
    if not fits or utilization > 1.0:
        return 0.0
    if utilization <= FIT_FULL_UNTIL:
        return 100.0
    return _clamp(100.0 * (1.0 - ((utilization - FIT_FULL_UNTIL) / (1.0 - FIT_FULL_UNTIL)) ** 2))


def context(usable_context: int, category: str) -> float:
    """Context this node can hold for the model, log-scaled from 512 tokens to the use case's target."""
    target = CONTEXT_TARGET.get(category, 32768)
    if usable_context <= 512:
        return 0.0
    return _clamp(100.0 * math.log2(usable_context / 512) / math.log2(target / 512))


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))
