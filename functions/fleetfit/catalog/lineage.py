"""Which catalog entry and quant a served model is: a file name, Hub repo or Ollama tag to (entry, quant).

Pure and table-driven. A name is reduced to a lineage key (lower case, no publisher, no quant, no
``-GGUF``/shard/extension suffix, separators unified) and looked up among the catalog's keys; where
several entries share a key, the original publisher (``data/lineage.json``) wins over repacks.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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


# --- matching a served model to a catalog entry ---------------------------------------------------------

LINEAGE_PATH = Path(__file__).resolve().parent / "data" / "lineage.json"
_SHARD = re.compile(r"-\d{5}-of-\d{5}$")
_OLLAMA_SIZE = re.compile(r"^(\d+(?:\.\d+)?[bm]|\d+x\d+b|v\d+(?:\.\d+)?)(?:-|$)", re.IGNORECASE)

How = Literal["file", "repo", "ollama", "name"]


@dataclass(frozen=True)
class Match:
    """What a served model is: its catalog entry (None: unmatched, kept and shown as such) and quant."""

    entry: str | None
    quant: str | None
    how: How | None  # which of its names matched


@functools.cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LINEAGE_PATH.read_text(encoding="utf-8"))
    return data


def lineage_key(text: str) -> str:
    """``bartowski/Meta-Llama-3.1-8B-Instruct-GGUF`` and ``Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf`` both give
    ``meta-llama-3.1-8b-instruct``: no publisher, quant, packaging suffix, shard or extension; one separator."""
    name = re.split(r"[\\/]", text.strip())[-1]
    name = re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE)
    name = _SHARD.sub("", name)
    name = _QUANT.sub("", name).replace("_", "-").replace(" ", "-").lower()
    words = sorted(_data()["packaging_suffixes"]["words"], key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        name = re.sub(r"[-.]+$", "", re.sub(r"-{2,}", "-", name))
        for word in words:
            if name.endswith("-" + word):
                name = name[: -len(word) - 1]
                changed = True
    return name.strip("-.")


def _keys(text: str, *, served: bool = False) -> set[str]:
    """The keys a name may be filed under: as written, without Meta's "Meta-" prefix (Meta-Llama-3.1-8B is
    meta-llama/Llama-3.1-8B), and without a "publisher_" prefix (bartowski's google_gemma-3-12b-it files)."""
    base = re.split(r"[\\/]", text.strip())[-1]
    keys = {lineage_key(base)}
    bare = _QUANT.sub("", base)
    if served and re.match(r"^[A-Za-z][A-Za-z0-9-]*_[A-Za-z]", bare):
        keys.add(lineage_key(bare.split("_", 1)[1]))
    keys |= {key.removeprefix("meta-") for key in keys}
    return keys - {""}


class LineageIndex:
    """The catalog's lineage keys (built once per catalog) and the rules that pick one entry per key."""

    def __init__(self, entries: Iterable[Mapping[str, Any]]) -> None:
        publishers = _data()["publishers"]["orgs"]
        self._rank = {org.lower(): i for i, org in enumerate(publishers)}
        self._by_key: dict[str, list[tuple[str, str]]] = {}
        self._names: dict[str, str] = {}
        for entry in entries:
            name = str(entry["name"])
            self._names[name.lower()] = name
            for label in (name, *entry.get("aliases", ())):
                for key in _keys(str(label)):
                    self._by_key.setdefault(key, []).append((name, str(entry.get("release_date") or "9999")))

    def entry_for(self, text: str) -> str | None:
        """The catalog entry a repo id, file name or model name is, or None."""
        exact = self._names.get(text.strip().lower())
        if exact is not None:
            return exact
        candidates = {c for key in _keys(text, served=True) for c in self._by_key.get(key, ())}
        if not candidates:
            return None
        return min(candidates, key=self._preference)[0]

    def _preference(self, candidate: tuple[str, str]) -> tuple[int, str, int, str]:
        """Original publishers first, then the earliest release, then the shortest name (the least derived)."""
        name, released = candidate
        org = name.split("/", 1)[0].lower()
        return (self._rank.get(org, len(self._rank)), released, len(name), name)

    def match(
        self,
        *,
        kind: str,
        name: str,
        file: str | None = None,
        repo: str | None = None,
        quant: str | None = None,
    ) -> Match:
        """A served model's catalog entry and quant; the runtime's stated quant wins over one read from a name."""
        if kind == "ollama":
            return self._ollama(name, quant)
        for how, text in (("repo", repo), ("file", file), ("name", name)):
            if text:
                entry = self.entry_for(text)
                if entry is not None:
                    return Match(entry, quant or quant_of_name(file or name), how)  # type: ignore[arg-type]
        return Match(None, quant or quant_of_name(file or name), None)

    def _ollama(self, tag: str, quant: str | None) -> Match:
        """``llama3.1:8b`` through the library table; ``hf.co/org/Repo-GGUF:Q5_K_M`` by its repo name."""
        model, _, version = tag.partition(":")
        version = version or "latest"
        quant = quant or quant_of_name(version)
        if model.startswith(("hf.co/", "huggingface.co/")):
            entry = self.entry_for(model.split("/", 1)[1])
            return Match(entry, quant, "repo" if entry else None)
        family = _data()["ollama"].get(model.rsplit("/", 1)[-1].lower())
        if not isinstance(family, dict):
            entry = self.entry_for(model)
            return Match(entry, quant, "name" if entry else None)
        size_match = _OLLAMA_SIZE.match(version)
        size = size_match.group(1).lower() if size_match else family.get("latest", "")
        repo = family.get("sizes", {}).get(size)
        if repo is None and "repo" in family:
            repo = family["repo"].replace("{SIZE}", size.upper()).replace("{size}", size)
        entry = self.entry_for(repo) if repo else None
        default = _data()["ollama_default_quant"]["quant"]
        return Match(entry, quant or (default if entry else None), "ollama" if entry else None)
