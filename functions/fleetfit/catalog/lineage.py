"""Which catalog entry and quant a served model is: a file name, Hub repo or Ollama tag to (entry, quant).

Pure and table-driven. A name is reduced to a lineage key (lower case, no publisher, no quant, no
``-GGUF``/shard/extension suffix, separators unified) and looked up among the catalog's keys; where
several entries share a key, the original publisher (``data/lineage.json``) wins over repacks.
"""

from __future__ import annotations

import re

# llama.cpp quant labels as file names spell them (ggml/src/ggml.c type names; llama.cpp's quantize presets)
_QUANT = re.compile(
    r"(?<![A-Za-z0-9])("
    r"IQ[1-4]_(?:XXS|XS|S|M|NL)|IQ4_XS|IQ4_NL|TQ[12]_0|Q[2-6]_K(?:_(?:XL|S|M|L))?|Q8_K_XL|Q[4-8]_[01]|MXFP4(?:_MOE)?"
    r"|BF16|F16|FP16|F32|FP8|INT8|INT4|AWQ|GPTQ|NVFP4|[48]bit"
    r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_QUANT_ALIASES = {"FP16": "F16", "MXFP4_MOE": "MXFP4", "4BIT": "mlx-4bit", "8BIT": "mlx-8bit"}

# llama-bench / llama_model_ftype_name() prints "Q4_K - Medium"; the file-name label is Q4_K_M
_FTYPE = re.compile(r"\b(Q[2-6]_K|IQ[1-4]_\w+|Q[4-8]_[01]|BF16|F16|F32|MXFP4|TQ[12]_0)(?: - (Small|Medium|Large|Extra Large))?\b")  # fmt: skip
_FTYPE_SIZE = {"Small": "_S", "Medium": "_M", "Large": "_L", "Extra Large": "_XL"}


def quant_of_name(text: str) -> str | None:
    """The quant label a file name, repo or Ollama tag carries (``...-Q4_K_M.gguf`` -> ``Q4_K_M``)."""
    found = _QUANT.findall(text.replace(".", "-"))
    if not found:
        return None
    label = str(found[-1]).upper()
    return _QUANT_ALIASES.get(label, label)


def quant_of_ftype(text: str) -> str | None:
    """The quant label from llama.cpp's file-type name (``llama 8B Q4_K - Medium`` -> ``Q4_K_M``)."""
    match = _FTYPE.search(text)
    if not match:
        return None
    base, size = match.groups()
    if base == "Q2_K" and size:  # llama.cpp names Q2_K "Q2_K - Medium"; the file label is plain Q2_K
        return "Q2_K"
    return base + (_FTYPE_SIZE[size] if size else "")
