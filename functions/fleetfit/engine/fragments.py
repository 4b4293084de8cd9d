"""The JSON of a Model object that reads only the catalog entry: identity, sources, license and capabilities.

Written once per catalog load (kept in ModelProfile.json_parts) or shipped ready with the catalog (engine.prepared);
analyze.Fit.as_json puts them around the fields each node's analysis decides.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

from fleetfit.engine.profile import ModelProfile

quote = encode_basestring_ascii  # a JSON string, with the C encoder json.dumps uses

# The fragments, by their json_parts key, in the order engine.prepared ships them.
NAMES = ("head", "sources", "tail")


def text(value: str | None) -> str:
    """A JSON string, or null."""
    return "null" if value is None else quote(value)


def texts(values: Any) -> str:
    """A JSON array of strings."""
    return "[" + ",".join(map(quote, values)) + "]"


def profile_head(p: ModelProfile) -> str:
    """The identity fields of a model, JSON-encoded once per catalog load."""
    cached = p.json_parts.get("head")
    if cached is None:
        e = p.entry
        cached = p.json_parts["head"] = (
            f'"name":{quote(p.name)},"provider":{quote(e["provider"])},'
            f'"parameter_count":{quote(e["parameter_count"])},"params_b":{round(p.params / 1e9, 2)!r},'
            f'"context_length":{p.context_length},"release_date":{text(e.get("release_date"))},'
            f'"is_moe":{"true" if p.moe is not None else "false"},'
            f'"use_case":"{p.category}","category":"{p.category}"'
        )
    return cached


def profile_sources(p: ModelProfile) -> str:
    cached = p.json_parts.get("sources")
    if cached is None:
        cached = p.json_parts["sources"] = '"gguf_sources":' + texts(p.entry.get("gguf_sources", ()))
    return cached


def profile_tail(p: ModelProfile) -> str:
    cached = p.json_parts.get("tail")
    if cached is None:
        e = p.entry
        capabilities = texts(e.get("capabilities", ()))
        tp = supports_tp(p)
        cached = p.json_parts["tail"] = (
            f'"license":{text(e.get("license"))},"capabilities":{capabilities},"capability_ids":{capabilities},'
            f'"supports_tp":{"null" if tp is None else json.dumps(tp, separators=(",", ":"))}'
        )
    return cached


MAX_TP_DEGREE = 8


def supports_tp(profile: ModelProfile) -> list[int] | None:
    """Tensor-parallel degrees 1 to 8 that divide both the attention and the KV heads (vLLM's rule: heads
    split evenly over the GPUs); None when the catalog does not give the heads."""
    arch = profile.entry.get("arch") or {}
    heads, kv_heads = arch.get("heads"), arch.get("kv_heads") or arch.get("heads")
    if not heads or not kv_heads:
        return None
    return [d for d in range(1, MAX_TP_DEGREE + 1) if heads % d == 0 and kv_heads % d == 0]


def fragments(p: ModelProfile) -> tuple[str, ...]:
    """Every fragment of a model, in NAMES order."""
    return profile_head(p), profile_sources(p), profile_tail(p)
