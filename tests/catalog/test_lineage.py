"""Served names to catalog entries and quants, by lineage (table-driven, on the bundled catalog)."""

from __future__ import annotations

import pytest
from fleetfit.catalog import load_bundled
from fleetfit.catalog.lineage import LineageIndex, Match, lineage_key, quant_of_ftype, quant_of_name


@pytest.fixture(scope="module")
def index() -> LineageIndex:
    return LineageIndex(load_bundled().entries)


LLAMA31 = "meta-llama/Llama-3.1-8B-Instruct"

CASES = [
    # (kind, name, file, repo, stated quant) -> (entry, quant, how)
    (("llamacpp", "x", "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", None, None), (LLAMA31, "Q4_K_M", "file")),
    (("ollama", "llama3.1:8b", None, None, "Q4_K_M"), (LLAMA31, "Q4_K_M", "ollama")),
    (("ollama", "llama3.1:latest", None, None, None), (LLAMA31, "Q4_K_M", "ollama")),
    (("ollama", "llama3.1:8b-instruct-q8_0", None, None, None), (LLAMA31, "Q8_0", "ollama")),
    (
        ("ollama", "qwen2.5-coder:14b-instruct-q8_0", None, None, "Q8_0"),
        ("Qwen/Qwen2.5-Coder-14B-Instruct", "Q8_0", "ollama"),
    ),  # fmt: skip
    (
        ("ollama", "deepseek-r1:7b", None, None, "Q4_K_M"),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Q4_K_M", "ollama"),
    ),  # fmt: skip
    (("ollama", "mixtral:8x7b", None, None, None), ("mistralai/Mixtral-8x7B-Instruct-v0.1", "Q4_K_M", "ollama")),
    (
        ("ollama", "hf.co/bartowski/Mistral-Nemo-Instruct-2407-GGUF:Q5_K_M", None, None, "Q5_K_M"),
        ("mistralai/Mistral-Nemo-Instruct-2407", "Q5_K_M", "repo"),
    ),  # fmt: skip
    (("vllm", LLAMA31, None, LLAMA31, None), (LLAMA31, None, "repo")),
    (
        ("vllm", "Qwen/Qwen2.5-7B-Instruct-AWQ", None, "Qwen/Qwen2.5-7B-Instruct-AWQ", None),
        ("Qwen/Qwen2.5-7B-Instruct", "AWQ", "repo"),
    ),  # fmt: skip
    (
        ("sglang", "Qwen/Qwen2.5-7B-Instruct", None, "Qwen/Qwen2.5-7B-Instruct", None),
        ("Qwen/Qwen2.5-7B-Instruct", None, "repo"),
    ),  # fmt: skip
    (("lmstudio", "meta-llama-3.1-8b-instruct", None, None, "Q4_K_M"), (LLAMA31, "Q4_K_M", "name")),
    (("llamacpp", "x", "qwen2.5-7b-instruct-q5_k_m.gguf", None, None), ("Qwen/Qwen2.5-7B-Instruct", "Q5_K_M", "file")),
    (
        ("llamacpp", "x", "Qwen3-30B-A3B-UD-Q4_K_XL-00001-of-00002.gguf", None, None),
        ("Qwen/Qwen3-30B-A3B", "Q4_K_XL", "file"),
    ),  # fmt: skip
    (
        ("llamacpp", "x", "mistral-7b-instruct-v0.3.Q4_K_M.gguf", None, None),
        ("mistralai/Mistral-7B-Instruct-v0.3", "Q4_K_M", "file"),
    ),  # fmt: skip
    (("llamacpp", "x", "google_gemma-3-12b-it-Q4_K_M.gguf", None, None), ("google/gemma-3-12b-it", "Q4_K_M", "file")),
    (("llamacpp", "x", "gpt-oss-20b-MXFP4.gguf", None, None), ("openai/gpt-oss-20b", "MXFP4", "file")),
    (
        ("llamacpp", "x", "Meta-Llama-3-8B-Instruct.Q8_0.gguf", None, None),
        ("meta-llama/Meta-Llama-3-8B-Instruct", "Q8_0", "file"),
    ),  # fmt: skip
    (
        ("llama-bench", "x", "Llama-3.2-3B-Instruct-f16.gguf", None, "F16"),
        ("meta-llama/Llama-3.2-3B-Instruct", "F16", "file"),
    ),  # fmt: skip
    # unmatched: kept, with whatever quant the name or runtime states
    (("llamacpp", "x", "totally-custom-finetune-q4_k_m.gguf", None, None), (None, "Q4_K_M", None)),
    (("ollama", "my-private-model:latest", None, None, "Q4_0"), (None, "Q4_0", None)),
    (("vllm", "/models/in-house", None, None, None), (None, None, None)),
]


@pytest.mark.parametrize(("served", "expected"), CASES, ids=[c[0][2] or c[0][1] for c in CASES])
def test_served_models_match_their_lineage(
    index: LineageIndex, served: tuple[str, str, str | None, str | None, str | None], expected: tuple[object, ...]
) -> None:
    kind, name, file, repo, quant = served
    assert index.match(kind=kind, name=name, file=file, repo=repo, quant=quant) == Match(*expected)  # type: ignore[arg-type]


def test_an_instruct_file_never_matches_the_base_model(index: LineageIndex) -> None:
    assert index.entry_for("Llama-3.1-8B-Q4_K_M.gguf") == "meta-llama/Llama-3.1-8B"
    assert index.entry_for("Llama-3.1-8B-Instruct-abliterated-Q4_K_M.gguf") != LLAMA31


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "meta-llama-3.1-8b-instruct"),
        ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "meta-llama-3.1-8b-instruct"),
        ("unsloth/Llama-3.1-8B-Instruct-bnb-4bit", "llama-3.1-8b-instruct"),
        ("C:\\models\\Qwen2.5-7B-Instruct-Q8_0.gguf", "qwen2.5-7b-instruct"),
    ],
)
def test_lineage_keys(text: str, key: str) -> None:
    assert lineage_key(text) == key


@pytest.mark.parametrize(
    ("text", "quant"),
    [("x-Q4_K_M.gguf", "Q4_K_M"), ("x.IQ4_XS.gguf", "IQ4_XS"), ("x-fp16.gguf", "F16"), ("x-bf16", "BF16"),
     ("Qwen2.5-7B", None), ("mlx-community/x-4bit", "mlx-4bit"), ("phi-3.5-mini", None)],
)  # fmt: skip
def test_quant_of_name(text: str, quant: str | None) -> None:
    assert quant_of_name(text) == quant


@pytest.mark.parametrize(
    ("ftype", "quant"),
    [("llama 8B Q4_K - Medium", "Q4_K_M"), ("llama 8B Q5_K - Small", "Q5_K_S"), ("qwen2 7B Q8_0", "Q8_0"),
     ("llama 7B Q2_K - Medium", "Q2_K"), ("gpt-oss 20B MXFP4 MoE", "MXFP4"), ("llama 8B all F32", "F32"),
     ("unknown", None)],
)  # fmt: skip
def test_quant_of_llama_cpp_file_type(ftype: str, quant: str | None) -> None:
    assert quant_of_ftype(ftype) == quant
