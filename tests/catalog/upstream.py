"""One upstream-format catalog row (llmfit's hf_models.json) for the build-script tests."""

from __future__ import annotations

from typing import Any


def upstream(name: str, params: int, downloads: int = 10, **fields: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "provider": name.split("/")[0],
        "parameter_count": f"{params / 1e9:.1f}B",
        "parameters_raw": params,
        "format": "gguf",
        "context_length": 131072,
        "use_case": "Instruction following, chat",
        "capabilities": [],
        "pipeline_tag": "text-generation",
        "architecture": "llama",
        "hf_downloads": downloads,
        "hf_likes": downloads // 100,
        "release_date": "2024-07-23",
    }
    base.update(fields)
    return base
