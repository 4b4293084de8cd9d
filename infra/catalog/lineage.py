"""What each catalog repository is and where its weights come from: first-party, kind, packed-weight sizes,
variant groups. Build time only; the rules are data files beside this module:

  first_party_orgs.json  organisations that trained/released the weights they host (with a reason each);
  repo_kinds.json        ordered name/pipeline rules for base, OCR, guard, reward, draft, stub, embedding, speech;
  packed_weights.json    packed-weight markers (NVFP4, MXFP4, AWQ/GPTQ, bnb, MLX 2-4 bit, EXL) and format words.

Steps (called by build_catalog.build, in this order):
  1. `repair_packed`: a packed repo whose count is far under its base's (packed 4-bit tensors counted one
     parameter per byte) takes its base's unpacked count, shapes and MoE facts, with provenance; then
     `mark_mlx_formats`: a repo packed in a format only MLX loads (JANG) is an MLX-only build;
  2. `classify`: first_party, kind and experimental for every entry (downloads and likes are copied by
     build_catalog.to_entry);
  3. `assign_groups`: one variant group per weights lineage (same family and compatible shapes, parameter count
     within PARAMS_TOLERANCE, the parent's name stem inside the child's name), its representative and origin date;
  4. `fold_lineages`: whole groups folded into the group they descend from: a superseded version into its
     organisation's newer release of that name and size (GigaChat3-10B-A1.8B into GigaChat3.1-10B-A1.8B), and a
     fine-tune that does not name its base into that base (tencent/ContextPilot-14B into Qwen/Qwen3-14B), and a
     post-training stage checkpoint into the same lab's later stage (Olmo-3-7B-Instruct-SFT into Olmo-3-7B-Instruct).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
KINDS = ("chat", "base", "ocr", "guard", "reward", "draft", "stub", "embedding", "speech", "diffusion", "embodied")
# Fine-tunes, abliterations and re-uploads keep the parameter count exactly; MLX-only entries unpacked from
# packed word counts land within ~2 % of it. 5 % keeps those and still separates 7 B from 8 B siblings.
PARAMS_TOLERANCE = 0.05
# The same name in another storage format (FP8 with its scales, NVFP4 with unpacked layers) may count up to
# ~15 % apart (nvidia's Nemotron-3-Nano-30B-A3B: BF16 31.6 B, NVFP4 30.0 B); the name says it is one model.
SAME_NAME_TOLERANCE = 0.15
# A lineage stem is at least a name and a version or size ("gpt-oss-20b", "GLM-4.7"): one word ("llama") is not.
MIN_STEM = 2
# A vision tower is at most ~15 % of a multimodal model (SigLIP 0.4 B of Gemma-3-27B; 3.4 B of Qwen3.8-27B).
VISION_SHARE = 0.85
# A repo name without a post-training stage word is the finished release (repo_kinds.json training_stages).
FINAL_STAGE = 2
# llama.cpp quant types inside a repo name (gemma-4-31B-it-qat-q4_0-unquantized, ...-Q4_K_M, ...-IQ2_XXS): one
# format word, removed whole before the name is split at "_" (which would leave a stray "0" or "m").
QUANT_TYPE = re.compile(r"(?<![a-z0-9])(?:ud-)?i?q\d(?:_[a-z0-9]{1,3})+(?![a-z0-9])")
SIZE_WORD = re.compile(r"(\d+x)?\d+(?:\.\d+)?[bmk]|a\d+(?:\.\d+)?b|e\d+b", re.I)
WORD_SPLIT = re.compile(r"[-_\s/]+|(?<!\d)\.|\.(?!\d)")
SUBWORD = re.compile(r"[a-z]+|\d+(?:\.\d+)*")


class DraftLike(Protocol):
    """The parts of build_catalog.Draft this module reads and writes."""

    raw: dict[str, Any]
    arch: dict[str, int | None]
    provenance: dict[str, str]
    notes: list[str]
    params: int
    mlx_only: bool
    mlx_sources: list[str]
    kind: str
    first_party: bool
    experimental: bool
    domain: bool
    group: str
    origin_date: str | None
    moe_raw: dict[str, Any] | None
    parameter_count: str | None

    @property
    def name(self) -> str: ...

    @property
    def basename(self) -> str: ...

    @property
    def family(self) -> str: ...

    def has_shape(self) -> bool: ...


# ---------------------------------------------------------------- rules (data files), loaded and validated


@dataclass(frozen=True)
class KindRule:
    kind: str
    reason: str
    name: re.Pattern[str] | None = None
    orgs: frozenset[str] = frozenset()
    pipeline_tags: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    architectures: frozenset[str] = frozenset()
    max_params: int | None = None

    def matches(self, org: str, basename: str, raw: dict[str, Any], category: str, params: int) -> bool:
        if self.orgs:
            return org.lower() in self.orgs
        if self.name is not None:
            return bool(self.name.search(basename.lower()))
        if self.pipeline_tags:
            return str(raw.get("pipeline_tag") or "") in self.pipeline_tags
        if self.categories:
            return category in self.categories
        if self.architectures:
            return str(raw.get("architecture") or "") in self.architectures
        return self.max_params is not None and params < self.max_params


@dataclass(frozen=True)
class Rules:
    first_party: dict[str, re.Pattern[str] | None]  # lowercased org -> names that are repacks of others' weights
    kind_rules: tuple[KindRule, ...]
    chat_markers: frozenset[str]
    instruct_markers: frozenset[str]
    experiment: re.Pattern[str]  # names their publisher gives experiments (repo_kinds.json "experiment")
    domain: re.Pattern[str]  # names of tunes for one profession's or field's work (repo_kinds.json "domain")
    version_markers: frozenset[str]  # dropped from an older name when looking for its successor
    training_stages: dict[str, int]  # post-training stage word -> rank (FINAL_STAGE: a finished release)
    stage_release_words: frozenset[str]  # the word a finished release may add to a stage checkpoint's name
    reasoning_markers: frozenset[str]  # a reasoning tune's name words: never a pretrained sibling
    packed_markers: tuple[tuple[re.Pattern[str], str], ...]
    mlx_markers: tuple[re.Pattern[str], ...]  # packed formats only MLX loads (JANG): an MLX-only build
    packed_ratio: tuple[float, float]
    name_agreement: tuple[float, float]
    format_tokens: frozenset[str]


class RulesError(ValueError):
    """A rules file is malformed; the message names the file and the key."""


def _need(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise RulesError(f"{where}: {message}")


def _regex(value: Any, where: str) -> re.Pattern[str]:
    _need(isinstance(value, str) and bool(value), where, "expected a non-empty regular expression")
    try:
        return re.compile(value)
    except re.error as exc:
        raise RulesError(f"{where}: invalid regular expression ({exc})") from exc


def _pair(value: Any, where: str) -> tuple[float, float]:
    _need(
        isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value),
        where,
        "expected [low, high]",
    )
    low, high = float(value[0]), float(value[1])
    _need(0 < low < high, where, "expected 0 < low < high")
    return low, high


def _strings(value: Any, where: str) -> frozenset[str]:
    _need(isinstance(value, list) and all(isinstance(v, str) and v for v in value), where, "expected strings")
    return frozenset(v.lower() for v in value)


def parse_first_party(document: Any, where: str = "first_party_orgs.json") -> dict[str, re.Pattern[str] | None]:
    _need(isinstance(document, dict) and isinstance(document.get("orgs"), dict), where, "expected {'orgs': {...}}")
    orgs: dict[str, re.Pattern[str] | None] = {}
    for org, spec in document["orgs"].items():
        at = f"{where}: orgs.{org}"
        _need(isinstance(spec, dict), at, "expected an object")
        _need(
            not set(spec) - {"reason", "families", "except"},
            at,
            f"unknown keys {sorted(set(spec) - {'reason', 'families', 'except'})}",
        )
        _need(isinstance(spec.get("reason"), str) and bool(spec["reason"].strip()), at, "reason: required")
        _need(bool(_strings(spec.get("families"), f"{at}.families")), at, "families: at least one")
        _need(org.lower() not in orgs, at, "listed twice")
        orgs[org.lower()] = _regex(spec["except"], f"{at}.except") if "except" in spec else None
    return orgs


def parse_kind_rules(document: Any, where: str = "repo_kinds.json") -> dict[str, Any]:
    _need(isinstance(document, dict) and isinstance(document.get("rules"), list), where, "expected {'rules': [...]}")
    rules = []
    for index, spec in enumerate(document["rules"]):
        at = f"{where}: rules[{index}]"
        _need(isinstance(spec, dict), at, "expected an object")
        _need(spec.get("kind") in KINDS, at, f"kind: one of {', '.join(KINDS)}")
        _need(isinstance(spec.get("reason"), str) and bool(spec["reason"]), at, "reason: required")
        tests = [k for k in ("name", "orgs", "pipeline_tag", "category", "architecture", "max_params") if k in spec]
        _need(len(tests) == 1, at, "exactly one of name, orgs, pipeline_tag, category, architecture, max_params")
        max_params = spec.get("max_params")
        _need(max_params is None or (isinstance(max_params, int) and max_params > 0), at, "max_params: positive")
        rules.append(
            KindRule(
                kind=spec["kind"],
                reason=spec["reason"],
                name=_regex(spec["name"], f"{at}.name") if "name" in spec else None,
                orgs=_strings(spec["orgs"], f"{at}.orgs") if "orgs" in spec else frozenset(),
                pipeline_tags=frozenset(spec.get("pipeline_tag") or ()),
                categories=frozenset(spec.get("category") or ()),
                architectures=frozenset(spec.get("architecture") or ()),
                max_params=max_params,
            )
        )
    chat_markers = _strings(document.get("chat_markers"), f"{where}: chat_markers")
    instruct_markers = _strings(document.get("instruct_markers"), f"{where}: instruct_markers")
    _need(instruct_markers <= chat_markers, where, "instruct_markers: must be chat markers too")
    experiment = document.get("experiment")
    _need(isinstance(experiment, dict), where, "experiment: expected {'name': ..., 'reason': ...}")
    _need(
        isinstance(experiment.get("reason"), str) and bool(experiment["reason"]), where, "experiment.reason: required"
    )
    domain = document.get("domain")
    _need(isinstance(domain, dict), where, "domain: expected {'name': ..., 'reason': ...}")
    _need(isinstance(domain.get("reason"), str) and bool(domain["reason"]), where, "domain.reason: required")
    stages = document.get("training_stages")
    _need(
        isinstance(stages, dict) and all(isinstance(v, int) and 0 <= v <= FINAL_STAGE for v in stages.values()),
        where,
        f"training_stages: expected {{word: rank 0-{FINAL_STAGE}}}",
    )
    return {
        "kind_rules": tuple(rules),
        "chat_markers": chat_markers,
        "instruct_markers": instruct_markers,
        "experiment": _regex(experiment.get("name"), f"{where}: experiment.name"),
        "domain": _regex(domain.get("name"), f"{where}: domain.name"),
        "version_markers": _strings(document.get("version_markers"), f"{where}: version_markers"),
        "training_stages": {word.lower(): rank for word, rank in stages.items()},
        "stage_release_words": _strings(document.get("stage_release_words"), f"{where}: stage_release_words"),
        "reasoning_markers": _strings(document.get("reasoning_markers"), f"{where}: reasoning_markers"),
    }


def parse_packed(document: Any, where: str = "packed_weights.json") -> dict[str, Any]:
    _need(
        isinstance(document, dict) and isinstance(document.get("markers"), list), where, "expected {'markers': [...]}"
    )
    markers = []
    mlx_markers: list[re.Pattern[str]] = []
    for index, spec in enumerate(document["markers"]):
        at = f"{where}: markers[{index}]"
        _need(isinstance(spec, dict) and isinstance(spec.get("format"), str), at, "format: required")
        _need(isinstance(spec.get("reason"), str) and bool(spec["reason"]), at, "reason: required")
        pattern = _regex(spec.get("pattern"), f"{at}.pattern")
        markers.append((pattern, spec["format"]))
        _need(spec.get("runtime") in (None, "mlx"), at, "runtime: 'mlx' or absent")
        if spec.get("runtime"):
            _need(
                isinstance(spec.get("runtime_reason"), str) and bool(spec["runtime_reason"]),
                at,
                "runtime_reason: required",
            )
            mlx_markers.append(pattern)
    return {
        "packed_markers": tuple(markers),
        "mlx_markers": tuple(mlx_markers),
        "packed_ratio": _pair(document.get("packed_ratio"), f"{where}: packed_ratio"),
        "name_agreement": _pair(document.get("name_agreement"), f"{where}: name_agreement"),
        "format_tokens": _strings(document.get("format_tokens"), f"{where}: format_tokens"),
    }


def load_rules(directory: Path = HERE) -> Rules:
    def read(name: str) -> Any:
        path = directory / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RulesError(f"{name}: cannot read ({exc})") from exc

    return Rules(
        first_party=parse_first_party(read("first_party_orgs.json")),
        **parse_kind_rules(read("repo_kinds.json")),
        **parse_packed(read("packed_weights.json")),
    )


# ---------------------------------------------------------------- names as lineage tokens


def name_tokens(basename: str, rules: Rules) -> tuple[str, ...]:
    """A repo name as comparable tokens, storage/format words dropped: "Meta-Llama-3.1-8B-Instruct-bnb-4bit"
    and "Llama3.1-8B-Instruct" share ("llama", "3.1", "8b", "instruct")."""
    tokens: list[str] = []
    for word in WORD_SPLIT.split(QUANT_TYPE.sub(" ", basename.lower())):
        if (
            not word
            or word in rules.format_tokens
            or re.fullmatch(r"\d+-?bits?|q\d(_k(_[msl])?|_\d)?|[a-z]?\d+bpw", word)
        ):
            continue
        if SIZE_WORD.fullmatch(word):
            tokens.append(word)
            continue
        tokens.extend(t for t in SUBWORD.findall(word) if t not in rules.format_tokens)
    return tuple(tokens)


def stem_of(tokens: Sequence[str], rules: Rules) -> tuple[str, ...]:
    """Tokens without chat markers: Llama-3.1-8B-Instruct's fine-tunes rarely repeat "Instruct"."""
    return tuple(t for t in tokens if t not in rules.chat_markers)


def contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i : i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))


def org_of(name: str) -> str:
    return name.split("/", 1)[0]


def downloads(draft: DraftLike) -> int:
    return int(draft.raw.get("hf_downloads") or 0)


SHAPE_KEYS = ("layers", "hidden", "heads", "kv_heads", "vocab")


def experts_of(draft: DraftLike) -> int:
    moe = draft.moe_raw if draft.moe_raw is not None else draft.raw
    return int(moe.get("num_experts") or 0) if moe.get("is_moe") else 0


def signature(draft: DraftLike) -> tuple[Any, ...]:
    """What decides the tensor shapes: family, layers, hidden, heads, KV heads, vocabulary (experts: see
    `compatible`; many fine-tunes' upstream records lack the MoE fields their base has)."""
    return (draft.family, *(draft.arch.get(k) for k in SHAPE_KEYS))


def compatible(a: DraftLike, b: DraftLike) -> bool:
    """Same family, and every shape fact and expert count that both records state is equal."""
    if a.family != b.family:
        return False
    if any(a.arch.get(k) and b.arch.get(k) and a.arch[k] != b.arch[k] for k in SHAPE_KEYS):
        return False
    experts_a, experts_b = experts_of(a), experts_of(b)
    return not (experts_a and experts_b and experts_a != experts_b)


def _has_vision(draft: DraftLike) -> bool:
    return "vision" in (draft.raw.get("capabilities") or ()) or draft.raw.get("pipeline_tag") == "image-text-to-text"


def params_close(a: DraftLike, b: DraftLike) -> bool:
    """Same count within PARAMS_TOLERANCE; or a text-only extract of a vision model (the vision tower gone:
    Qwen3.8-27B 27.8 B, its text-only copies 24.4 B); or apart by one embedding matrix (tied vs untied output
    head: Qwen3-0.6B is listed at 0.75 B, fine-tunes that drop the tied head at 0.60 B)."""
    if abs(a.params / b.params - 1) <= PARAMS_TOLERANCE:
        return True
    larger, smaller = (a, b) if a.params >= b.params else (b, a)
    if _has_vision(larger) and not _has_vision(smaller) and smaller.params >= VISION_SHARE * larger.params:
        return True
    return _one_embedding_apart(a, b)


# ---------------------------------------------------------------- 1. packed-weight repos take their base's size


def packed_format(basename: str, rules: Rules) -> str | None:
    lowered = basename.lower()
    return next((fmt for pattern, fmt in rules.packed_markers if pattern.search(lowered)), None)


def repair_packed(drafts: Sequence[DraftLike], rules: Rules, name_size_b: Any) -> Counter[str]:
    """Give each packed repo (count within `packed_ratio` of its base's, or under it when the base's name is
    in the repo's: a 1-bit GGUF of DeepSeek-R1) the base's unpacked facts.

    The base: a same-architecture, unpacked entry whose name stem the packed repo's name contains (first-party
    first, then the longest stem, then most downloaded), else the most downloaded same-architecture entry whose
    count agrees with the size the packed name states. A count near the base's (FP8, or one embedding matrix
    apart: a tied head) is not a pack and is left. Without a base, a packed name's stated size is used.
    Unmarked repos whose count is a pack of the size their name states are repaired only from a base."""
    stats: Counter[str] = Counter()
    low, high = rules.packed_ratio
    agree_low, agree_high = rules.name_agreement
    bases: dict[tuple[Any, ...], list[DraftLike]] = defaultdict(list)
    for draft in drafts:
        if draft.has_shape() and not draft.mlx_only and packed_format(draft.basename, rules) is None:
            bases[signature(draft)].append(draft)

    for draft in drafts:
        fmt = packed_format(draft.basename, rules)
        stated = name_size_b(draft.basename)
        stated_ratio = draft.params / (stated * 1e9) if stated else None
        if fmt is None and not (stated_ratio and low <= stated_ratio <= 0.7):
            continue
        candidates = [
            b
            for b in (bases.get(signature(draft), []) if draft.has_shape() else [])
            if b is not draft
            and compatible(b, draft)
            and (not stated or agree_low <= b.params / (stated * 1e9) <= agree_high)
        ]
        base = _packed_base(draft, candidates, rules)
        if base is not None:
            ratio = draft.params / base.params
            named = contains(
                stem_of(name_tokens(draft.basename, rules), rules), stem_of(name_tokens(base.basename, rules), rules)
            )
            if ratio > high or _one_embedding_apart(base, draft) or (ratio < low and not named):
                # The base's own count says this one is not packed (an FP8 copy, a tied output head counted once),
                # or a far smaller count has only the architecture, not the name, to tie it to that base.
                stats["packed-named repos left as listed (their base's count says not a pack)"] += 1
                continue
        what = fmt or "packed (unmarked)"
        if base is not None:
            draft.provenance["params"] = (
                f"unpacked count of {base.name} (same architecture): upstream counted {what} tensors ({draft.params:,})"
            )
            draft.params = base.params
            draft.parameter_count = base.raw.get("parameter_count") or f"{base.params / 1e9:.1f}B"
            differs = [k for k, v in base.arch.items() if v is not None and draft.arch.get(k) != v]
            for key in differs:
                draft.arch[key] = base.arch[key]
            if differs:
                draft.provenance["arch"] = f"from {base.name}, the base of this {what} repack"
            if base.raw.get("is_moe"):
                draft.moe_raw = base.raw
            stats["packed repos sized as their base model"] += 1
        elif fmt is not None and stated and stated_ratio and low <= stated_ratio <= high:
            draft.provenance["params"] = (
                f"the {stated:g}B the repo name states: upstream counted {what} tensors ({draft.params:,})"
            )
            draft.params = int(stated * 1e9)
            draft.parameter_count = f"{stated:g}B"
            stats["packed repos sized from their name (no base in the catalog)"] += 1
    return stats


def mark_mlx_formats(drafts: Sequence[DraftLike], rules: Rules) -> Counter[str]:
    """A repo packed in a format only MLX loads (packed_weights.json `runtime`: JANG) is an MLX-only build, as
    an upstream `format: mlx` entry is: Apple Silicon only, its repo its MLX source."""
    stats: Counter[str] = Counter()
    for draft in drafts:
        lowered = draft.basename.lower()  # any of these markers, not the first: Bonsai-27b-Ternary-JANG
        if draft.mlx_only or not any(p.search(lowered) for p in rules.mlx_markers):
            continue
        draft.mlx_only = True
        draft.mlx_sources.append(f"https://huggingface.co/{draft.name}")
        draft.notes.append("MLX build only: runs on Apple Silicon")
        stats["packed repos in an MLX-only format (JANG): MLX builds only"] += 1
    return stats


def _one_embedding_apart(a: DraftLike, b: DraftLike) -> bool:
    embedding = (a.arch.get("vocab") or 0) * (a.arch.get("hidden") or 0)
    return embedding > 0 and abs(abs(a.params - b.params) - embedding) <= 0.01 * embedding


def _packed_base(draft: DraftLike, candidates: list[DraftLike], rules: Rules) -> DraftLike | None:
    if not candidates:
        return None
    tokens = stem_of(name_tokens(draft.basename, rules), rules)
    lineage = [c for c in candidates if contains(tokens, stem_of(name_tokens(c.basename, rules), rules))]
    pool = lineage or candidates
    return min(
        pool,
        key=lambda c: (
            not is_first_party(c.name, rules),
            -len(stem_of(name_tokens(c.basename, rules), rules)) if lineage else 0,
            -downloads(c),
            c.name,
        ),
    )


# ---------------------------------------------------------------- 2. first-party and kind


def is_first_party(name: str, rules: Rules) -> bool:
    org = org_of(name).lower()
    if org not in rules.first_party:
        return False
    repacks = rules.first_party[org]
    return repacks is None or not repacks.search(name.split("/", 1)[1].lower())


def kind_by_rules(name: str, raw: dict[str, Any], category: str, params: int, rules: Rules) -> str:
    org, basename = name.split("/", 1)
    for rule in rules.kind_rules:
        if rule.matches(org, basename, raw, category, params):
            return rule.kind
    return "chat"


def classify(drafts: Sequence[DraftLike], rules: Rules, category_of: Any) -> Counter[str]:
    """first_party, kind, experimental and domain for every entry; pretrained-only siblings of an instruct release
    become "base"."""
    stats: Counter[str] = Counter()
    for draft in drafts:
        draft.first_party = is_first_party(draft.name, rules)
        draft.kind = kind_by_rules(draft.name, draft.raw, category_of(draft.raw), draft.params, rules)
        draft.experimental = bool(rules.experiment.search(draft.basename.lower()))
        stats["experimental (named so by the publisher)"] += draft.experimental
        draft.domain = bool(rules.domain.search(draft.basename.lower()))
        stats["domain tunes (named for one field's work)"] += draft.domain
    # A chat-marked release, by its name without the markers: Llama-3.1-8B-Instruct -> ("llama", "3.1", "8b").
    tuned: dict[tuple[Any, ...], list[DraftLike]] = defaultdict(list)
    for draft in drafts:
        tokens = name_tokens(draft.basename, rules)
        if rules.instruct_markers.intersection(tokens):
            tuned[(draft.family, stem_of(tokens, rules))].append(draft)
    for draft in drafts:
        tokens = name_tokens(draft.basename, rules)
        if draft.kind != "chat" or (rules.chat_markers | rules.reasoning_markers).intersection(tokens):
            continue
        siblings = tuned.get((draft.family, tokens), [])
        if any(
            compatible(s, draft) and params_close(s, draft) and (org_of(s.name) == org_of(draft.name) or s.first_party)
            for s in siblings
        ):
            draft.kind = "base"
            stats["kind base: pretrained sibling of an instruct release"] += 1
    return stats


# ---------------------------------------------------------------- 3. variant groups


def assign_groups(drafts: Sequence[DraftLike], rules: Rules) -> Counter[str]:
    """Link each entry to its closest lineage parent, then name each tree's representative.

    Parent of X: an entry of the same kind and family with compatible shapes, parameter count within
    PARAMS_TOLERANCE, whose name stem is the longest run (MIN_STEM tokens or more, holding X's size token
    when X's name states one) of X's name stem (an equal stem only when the parent
    ranks first: first-party, then downloads). A first-party entry is its own group unless another
    first-party entry has its very name (format words aside, e.g. Qwen3-8B-FP8 -> Qwen3-8B).
    Representative: the first-party original when the group has one, else the most downloaded."""
    order = sorted(drafts, key=lambda d: (not d.first_party, -downloads(d), d.name.lower()))
    rank = {id(d): i for i, d in enumerate(order)}
    tokens = {id(d): name_tokens(d.basename, rules) for d in drafts}
    stems = {id(d): stem_of(tokens[id(d)], rules) for d in drafts}
    index: dict[tuple[Any, ...], list[DraftLike]] = defaultdict(list)
    aliases: dict[tuple[Any, ...], list[DraftLike]] = defaultdict(list)  # searched for non-first-party only
    for draft in drafts:
        stem = stems[id(draft)]
        index[(draft.kind, draft.family, stem)].append(draft)
        # meta-llama/Meta-Llama-3-8B-Instruct is also the "Llama-3-8B" its fine-tunes name.
        org_words = set(re.split(r"[-_]", org_of(draft.name).lower()))
        if draft.first_party and len(stem) > MIN_STEM and stem[0] in org_words and stem[1][0].isalpha():
            aliases[(draft.kind, draft.family, stem[1:])].append(draft)

    parent: dict[int, DraftLike] = {}
    for draft in drafts:
        found = _parent(draft, index if draft.first_party else _Both(index, aliases), tokens, stems, rank)
        if found is not None:
            parent[id(draft)] = found

    def root(draft: DraftLike) -> DraftLike:
        # Parents strictly precede children in (stem length, rank) order, so the walk ends; the bound proves it.
        for _ in range(len(drafts) + 1):
            if id(draft) not in parent:
                return draft
            draft = parent[id(draft)]
        raise AssertionError(f"variant-group cycle through {draft.name}")

    members: dict[int, list[DraftLike]] = defaultdict(list)
    for draft in drafts:
        members[id(root(draft))].append(draft)
    stats: Counter[str] = Counter()
    for group in members.values():
        representative = min(
            group,
            key=lambda d: (
                not d.first_party,
                tokens[id(d)] != name_tokens_raw(d.basename),  # the plain name before its FP8/NVFP4 copies
                packed_format(d.basename, rules) is not None,  # BF16 before NVFP4 when both carry a format word
                -downloads(d),
                d.name.lower(),
            ),
        )
        dates = [d.raw.get("release_date") for d in group if d.raw.get("release_date")]
        origin = representative.raw.get("release_date") or (min(dates) if dates else None)
        for draft in group:
            draft.group = representative.name
            draft.origin_date = origin
        stats["variant groups"] += 1
        if len(group) > 1:
            stats["variant groups with more than one entry"] += 1
    return stats


class _Both:
    """Two stem indexes read as one (the parent search only calls .get)."""

    def __init__(self, first: dict[tuple[Any, ...], list[DraftLike]], second: dict[tuple[Any, ...], list[DraftLike]]):
        self.first, self.second = first, second

    def get(self, key: tuple[Any, ...], default: Sequence[DraftLike] = ()) -> Sequence[DraftLike]:
        return [*self.first.get(key, ()), *self.second.get(key, ())] or default


def name_tokens_raw(basename: str) -> tuple[str, ...]:
    """Every token of the name, format words kept (a first-party repack is not its group's face)."""
    tokens: list[str] = []
    for word in WORD_SPLIT.split(basename.lower()):
        if word:
            tokens.extend([word] if SIZE_WORD.fullmatch(word) else SUBWORD.findall(word))
    return tuple(tokens)


def _parent(
    draft: DraftLike,
    index: Any,
    tokens: dict[int, tuple[str, ...]],
    stems: dict[int, tuple[str, ...]],
    rank: dict[int, int],
) -> DraftLike | None:
    own = stems[id(draft)]
    key = (draft.kind, draft.family)
    sizes = [i for i, token in enumerate(own) if SIZE_WORD.fullmatch(token)]
    for length in range(len(own), MIN_STEM - 1, -1):
        found = []
        for start in range(len(own) - length + 1):
            if sizes and not any(start <= i < start + length for i in sizes):
                continue  # "Llama-3-Smaug-8B" descends from an "...8B" name, not from a repo called "llama"
            for other in index.get((*key, own[start : start + length]), ()):
                same_name = tokens[id(other)] == tokens[id(draft)]  # format words aside: Foo-7B-FP8 and Foo-7B
                if other is draft or not compatible(other, draft):
                    continue
                if not (
                    params_close(other, draft)
                    or (same_name and abs(other.params / draft.params - 1) <= SAME_NAME_TOLERANCE)
                ):
                    continue
                if length == len(own) and rank[id(other)] > rank[id(draft)]:
                    continue
                if draft.first_party and not (
                    other.first_party
                    and tokens[id(draft)] in (tokens[id(other)], (tokens[id(draft)][0], *tokens[id(other)]))
                ):
                    continue
                found.append(other)
        if found:
            return min(found, key=lambda o: (not contains(tokens[id(draft)], tokens[id(o)]), rank[id(o)]))
    return None


# ---------------------------------------------------------------- 4. successors and unnamed fine-tunes

VERSION = re.compile(r"\d+(?:\.\d+)*")  # "3", "3.1", "0.2", "2507": a version or a date, never a size ("10b")
DATE_WORD = re.compile(r"\d{3,4}")  # a release tag: 2507 (YYMM), 0528 (MMDD)
# A version is named near the front (GigaChat3.1, Mistral-Small-3.2), after a "v", or as a release tag.
VERSION_POSITIONS = 3


def fold_lineages(drafts: Sequence[DraftLike], rules: Rules) -> Counter[str]:
    """Fold whole variant groups into the group they descend from, so one row stands for one model line.

    a. A superseded version: the same organisation and kind, the parameter count within PARAMS_TOLERANCE (or a
       vision tower or one embedding matrix apart), a later release date, and the same name but for version
       numbers that rose (GigaChat3 -> GigaChat3.1, Mistral-Small-3.1-...-2503 -> 3.2-...-2506), a release tag
       added (Qwen3-30B-A3B -> Qwen3-30B-A3B-Instruct-2507) or an experiment/preview word dropped
       (DeepSeek-V3.2-Exp -> DeepSeek-V3.2); a preview's release of the same architecture may name one word more
       (granite-4.0-tiny-preview -> granite-4.0-h-tiny), never a size, reasoning or field word. The architecture
       may change with the version (Gemma 3 -> 4), the shapes may too (a larger vocabulary). An older release folds into the newest that supersedes it.
    b. A chat fine-tune that does not name its base: a group whose representative has exactly the shapes
       (layers, hidden, heads, KV heads, vocabulary, experts), family and parameter count of the earliest
       first-party chat original of that shape, released later by another organisation (tencent/ContextPilot-14B
       and microsoft/MagenticBrain are Qwen3-14B), folds into that original's line.
    c. An earlier post-training stage: the same organisation, kind, shapes and parameter count, and the same
       name at a later stage (repo_kinds.json training_stages: Olmo-3-7B-Instruct-SFT -> -Instruct-DPO ->
       -Instruct), or a supervised checkpoint's name plus one release word (Instella-MoE-16B-A3B-SFT -> -Think).
    The representative of the group folded into stays the face of both. A superseded line keeps its own origin
    date; an unnamed fine-tune takes its base's, as every named fine-tune already does (recency belongs to the
    original release)."""
    by_name = {d.name: d for d in drafts}
    members: dict[str, list[DraftLike]] = defaultdict(list)
    for draft in drafts:
        members[draft.group or draft.name].append(draft)
    heads = [by_name[name] for name in members if name in by_name]
    into: dict[str, str] = {}
    stats: Counter[str] = Counter()

    by_org: dict[tuple[str, str], list[DraftLike]] = defaultdict(list)
    for head in heads:
        by_org[(org_of(head.name).lower(), head.kind)].append(head)
    for group in by_org.values():
        for older in group:
            newer = [s for s in group if s is not older and _supersedes(s, older, rules)]
            if newer:
                into[older.name] = max(newer, key=lambda s: (s.raw.get("release_date") or "", downloads(s))).name
                stats["variant groups folded into the newer release that supersedes them"] += 1

    for group in by_org.values():
        for earlier in group:
            later = [s for s in group if s is not earlier and _later_stage(s, earlier, rules)]
            if earlier.name in into or not later:
                continue
            target = max(
                later, key=lambda s: (_stage_stem(s, rules) == _stage_stem(earlier, rules), downloads(s), s.name)
            )
            if earlier.name not in _chain(target.name, into):
                into[earlier.name] = target.name
                stats["variant groups folded into the later post-training stage of the same release"] += 1

    roots: dict[tuple[Any, ...], DraftLike] = {}  # per exact shape: the earliest first-party chat original
    for head in sorted(heads, key=lambda h: (h.raw.get("release_date") or "~", -downloads(h), h.name)):
        if head.kind == "chat" and head.first_party and _full_shape(head) and head.raw.get("release_date"):
            roots.setdefault((*signature(head), experts_of(head)), head)
    for head in heads:
        root = roots.get((*signature(head), experts_of(head))) if head.kind == "chat" and _full_shape(head) else None
        if (
            root is None
            or head.name in into
            or org_of(root.name).lower() == org_of(head.name).lower()  # the lab's own line (rule a's to judge)
            or not _released(head)
            or _released(head) <= root.raw["release_date"]
            or not params_close(root, head)
            or head.name in _chain(root.name, into)  # never a cycle
        ):
            continue
        into[head.name] = root.name
        for draft in members[head.name]:
            draft.origin_date = root.origin_date  # a fine-tune's recency is its base's (scoring.recency_points)
        stats["variant groups folded into the earlier first-party model whose shapes they share"] += 1

    for name in into:
        target = _chain(name, into)[-1]
        dated = next((d.origin_date for d in members[target] if d.origin_date), None)
        for draft in members[name]:
            draft.group = target
            # an undated line is dated by the release it folds into (internlm2-chat-7b-sft by -chat-7b): no
            # member of a group escapes the recency cost of its line by stating no date
            draft.origin_date = draft.origin_date or dated
    return stats


def _chain(name: str, into: dict[str, str]) -> list[str]:
    """`name` and the groups it folds into, in order. Rule (a) folds only forward in time within one organisation
    and rule (b) adds no fold that would close a loop, so the walk ends; the bound proves it."""
    chain = [name]
    for _ in range(len(into) + 1):
        if chain[-1] not in into:
            return chain
        chain.append(into[chain[-1]])
    raise AssertionError(f"lineage fold cycle through {name}")


def _released(head: DraftLike) -> str | None:
    """A group's release date: its representative's, else its earliest member's (a re-upload that states no
    date beside the conversion it copied, jinreiyu/cloned-Bonsai-27b-... beside prism-ml/Bonsai-27B-mlx-1bit)."""
    return head.raw.get("release_date") or head.origin_date


def _full_shape(draft: DraftLike) -> bool:
    return all(draft.arch.get(k) for k in SHAPE_KEYS)


def _version_stem(draft: DraftLike, rules: Rules) -> tuple[str, ...]:
    """The name stem as a version line: chat and version markers out, the organisation's own word in front out
    (Meta-Llama-3-8B-Instruct reads as Llama-3-8B)."""
    stem = [t for t in stem_of(name_tokens(draft.basename, rules), rules) if t not in rules.version_markers]
    org_words = set(re.split(r"[-_]", org_of(draft.name).lower()))
    if len(stem) > MIN_STEM and stem[0] in org_words and stem[1][0].isalpha():
        stem = stem[1:]
    return tuple(stem)


def _supersedes(newer: DraftLike, older: DraftLike, rules: Rules) -> bool:
    """Whether `newer` is a later release of `older`'s line (fold_lineages, rule a)."""
    new_date, old_date = newer.raw.get("release_date"), older.raw.get("release_date")
    if not new_date or not old_date or new_date <= old_date or not params_close(newer, older):
        return False
    new, old = list(_version_stem(newer, rules)), list(_version_stem(older, rules))
    tagged = len(new) == len(old) + 1 and bool(DATE_WORD.fullmatch(new[-1]))  # a release tag added
    if tagged:
        new = new[:-1]
    previewed = bool(rules.version_markers.intersection(name_tokens(older.basename, rules)))
    if previewed and len(new) == len(old) + 1 and newer.raw.get("architecture") == older.raw.get("architecture"):
        new = _without_one_word(new, old, rules)  # the release names what the preview did not: granite-4.0-(h)-tiny
    if len(new) != len(old) or len(new) < MIN_STEM:
        return False
    rose = tagged or bool(rules.version_markers.intersection(name_tokens(older.basename, rules)))
    for i, (a, b) in enumerate(zip(new, old, strict=True)):
        if a == b:
            continue
        if not (VERSION.fullmatch(a) and VERSION.fullmatch(b)):
            return False
        if not (i < VERSION_POSITIONS or new[i - 1] == "v" or (DATE_WORD.fullmatch(a) and DATE_WORD.fullmatch(b))):
            return False  # a number deep in the name is no version: pythia-160m-data-seed1 vs -seed3
        ours, theirs = tuple(int(x) for x in a.split(".")), tuple(int(x) for x in b.split("."))
        if ours < theirs:
            return False
        rose = True
    return rose


def _without_one_word(longer: list[str], shorter: list[str], rules: Rules) -> list[str]:
    """`longer` with the one word that `shorter` lacks taken out, when that is all that differs (else `longer`).
    A size, a reasoning marker or a field's word makes another model, not the release of a preview
    (Gravity-16B-A3B-Preview is not the preview of Gravity-bio-16B-A3B)."""
    for i, word in enumerate(longer):
        if SIZE_WORD.fullmatch(word) or word in rules.reasoning_markers or rules.domain.fullmatch(word):
            continue
        if longer[:i] + longer[i + 1 :] == shorter:
            return shorter
    return longer


def _stage(draft: DraftLike, rules: Rules) -> int:
    """The post-training stage a name states (repo_kinds.json training_stages), FINAL_STAGE when it states none."""
    ranks = [rules.training_stages[t] for t in name_tokens(draft.basename, rules) if t in rules.training_stages]
    return max(ranks, default=FINAL_STAGE)


def _stage_stem(draft: DraftLike, rules: Rules) -> tuple[str, ...]:
    return tuple(t for t in name_tokens(draft.basename, rules) if t not in rules.training_stages)


def _later_stage(later: DraftLike, earlier: DraftLike, rules: Rules) -> bool:
    """Whether `later` is a later post-training stage of `earlier`'s weights (fold_lineages, rule c): a higher stage
    of the same name (Olmo-3-7B-Instruct-SFT -> -Instruct-DPO -> -Instruct), or a supervised checkpoint's name
    plus one release word (Instella-MoE-16B-A3B-SFT -> -Think); same shapes, parameter count within tolerance."""
    rank = _stage(earlier, rules)
    if (
        rank >= FINAL_STAGE
        or _stage(later, rules) <= rank
        or not (compatible(later, earlier) and params_close(later, earlier))
    ):
        return False
    mine, theirs = _stage_stem(earlier, rules), _stage_stem(later, rules)
    if mine == theirs:
        return True
    return rank == 0 and any(
        word in rules.stage_release_words and theirs[:i] + theirs[i + 1 :] == mine for i, word in enumerate(theirs)
    )


def kinds_summary(drafts: Iterable[DraftLike]) -> Counter[str]:
    return Counter(f"kind {d.kind}" for d in drafts)
