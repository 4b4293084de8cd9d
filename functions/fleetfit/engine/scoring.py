"""fit_level and score: the seed's labels and its weighted composite.

score = 0.3 x quality + 0.3 x speed + 0.25 x fit + 0.15 x context     (each 0-100, seed)
"""

from __future__ import annotations

import math
from datetime import date

from fleetfit.engine.placement import Placement
from fleetfit.engine.quants import QUANTS, TIER_OF_Q4_K_M, TIER_OF_Q5_K_M

SCORE_WEIGHTS = {"quality": 0.30, "speed": 0.30, "fit": 0.25, "context": 0.15}
# Above this share of the pool a model "barely fits" (marginal); above HEADROOM it is at best good.
LOW_HEADROOM = 0.95
HEADROOM = 0.90
# cpu_offload keeps "good" only while most of the model runs on the GPU (seed: "some layer offloading").
GOOD_OFFLOAD_SHARE = 0.75
# Decode speed a reader finds fluent, by use case (tok/s); Embedding models are judged on throughput.
SPEED_TARGET = {
    "General": 40.0,
    "Chat": 40.0,
    "Coding": 40.0,
    "Multimodal": 40.0,
    "Reasoning": 40.0,
    "Embedding": 200.0,
}
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
    w = SCORE_WEIGHTS
    return round(w["quality"] * quality + w["speed"] * speed + w["fit"] * fit + w["context"] * context, 1)


def _months_between(earlier: str, later: date) -> float | None:
    try:
        released = date.fromisoformat(earlier)
    except ValueError:
        return None
    return (later - released).days / 30.44


def quality_base(params_b: float, active_b: float | None, release_date: str | None, reference: date) -> float:
    """Capability before the quant: size on a log scale (0.1B -> 0, 1B -> 25, 10B -> 50, 100B -> 75; MoE
    counts the geometric mean of total and active parameters, the usual dense equivalent), plus newer
    generations at the same size (up to +8 within 6 months of the catalog's newest model)."""
    effective = math.sqrt(params_b * active_b) if active_b else params_b
    size = 25.0 * math.log10(max(effective, 0.1) / 0.1)
    months = _months_between(release_date, reference) if release_date else None
    recency = 0.0 if months is None else 8.0 if months <= 6 else 5.0 if months <= 12 else 2.0 if months <= 24 else 0.0
    return size + recency


def quality(base: float, quant: str) -> float:
    """quality_base minus the quant's perplexity cost, clamped to 0-100."""
    return _clamp(base - QUANTS[quant].quality_penalty)


def speed(tps: float, category: str) -> float:
    """Log-scaled up to the use case's fluent speed (100 at the target; 1 tok/s ~ 19, 10 tok/s ~ 65)."""
    target = SPEED_TARGET.get(category, 40.0)
    return _clamp(100.0 * math.log1p(max(tps, 0.0)) / math.log1p(target))


def fit(utilization: float, fits: bool) -> float:
    """100 up to 60 % of the pool, then down to 0 at 100 % (quadratic: 90 % still scores 44)."""
    if not fits or utilization > 1.0:
        return 0.0
    if utilization <= 0.6:
        return 100.0
    return _clamp(100.0 * (1.0 - ((utilization - 0.6) / 0.4) ** 2))


def context(usable_context: int, category: str) -> float:
    """Context this node can hold for the model, log-scaled from 512 tokens to the use case's target."""
    target = CONTEXT_TARGET.get(category, 32768)
    if usable_context <= 512:
        return 0.0
    return _clamp(100.0 * math.log2(usable_context / 512) / math.log2(target / 512))


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))
