"""Query parameters, filters and sorts of the model-listing routes, with llmfit's API semantics.

parse_query turns raw string parameters into a Query (or a QueryError naming the parameter and the
allowed values); fit_rows analyzes the catalog for one System; select filters, sorts and limits.
"""

from __future__ import annotations

import json
import platform
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from fleetfit.catalog import Catalog
from fleetfit.contract import Envelope, Node, System
from fleetfit.engine import prepared
from fleetfit.engine.analyze import FIT_ORDER as FIT_ORDER
from fleetfit.engine.analyze import Fit, Options, analyze, analyze_all, forget_pools_analyses
from fleetfit.engine.devices import resolve
from fleetfit.engine.prefill import PROMPT_TOKENS
from fleetfit.engine.profile import ModelProfile, build_profile
from fleetfit.engine.quants import DEFAULT_KV_CACHE, FORCEABLE, KV_CACHE_TYPES, parse_kv_quant, parse_quant
from fleetfit.engine.scoring import NEVER_IN_USE_CASES, hides_never_ranked, never_ranked_kind
from fleetfit.engine.whatif import RAM_MAX, VRAM_MAX, WhatIf, WhatIfError, parse_cores, parse_number
from fleetfit.engine.whatif import apply as apply_what_if

Route = Literal["models", "top", "name"]
MIN_FIT_ALIASES = {
    "perfect": "perfect",
    "good": "good",
    "marginal": "marginal",
    "too_tight": "too_tight",
    "tootight": "too_tight",
    "tight": "too_tight",
}
USE_CASE_ALIASES = {
    "general": "General",
    "coding": "Coding",
    "code": "Coding",
    "reasoning": "Reasoning",
    "reason": "Reasoning",
    "chat": "Chat",
    "multimodal": "Multimodal",
    "vision": "Multimodal",
    "embedding": "Embedding",
    "embed": "Embedding",
}
SORT_ALIASES = {
    "score": "score",
    "tps": "tps",
    "tokens": "tps",
    "throughput": "tps",
    "params": "params",
    "parameters": "params",
    "mem": "mem",
    "memory": "mem",
    "mem_pct": "mem",
    "utilization": "mem",
    "ctx": "ctx",
    "context": "ctx",
    "date": "date",
    "release": "date",
    "released": "date",
    "use_case": "use_case",
    "use": "use_case",
    "usecase": "use_case",
}
RUNTIME_ALIASES = {"any": "any", "mlx": "mlx", "llamacpp": "llamacpp", "llama.cpp": "llamacpp", "llama_cpp": "llamacpp"}
# force_runtime: llmfit's values. fleetfit models llama.cpp and MLX; the others are refused by name.
FORCE_RUNTIME_ALIASES = {k: v for k, v in RUNTIME_ALIASES.items() if v != "any"} | {
    "vllm": "vllm",
    "bitnetcpp": "bitnetcpp",
    "bitnet.cpp": "bitnetcpp",
}
FORCEABLE_RUNTIMES = ("llamacpp", "mlx")
MAX_LICENSE_TEXT = 256
DEFAULT_LIMIT: dict[Route, int | None] = {"models": None, "top": 5, "name": 20}
GROUPS = ("base", "none")
# The top list recommends: one row per variant group. Full listings keep every row (llmfit clients expect
# them), and so does a search or a name (it should find every variant).
DEFAULT_GROUP: dict[Route, str] = {"models": "none", "top": "base", "name": "none"}
MAX_CONTEXT_LIMIT = 16_777_216


class QueryError(ValueError):
    """A query parameter has a bad value; the message names it and the allowed values."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Query:
    route: Route = "models"
    name: str | None = None
    limit: int | None = None
    min_fit: str = "marginal"
    perfect: bool = False
    include_too_tight: bool | None = None
    use_case: str | None = None
    provider: str | None = None
    search: str | None = None
    sort: str = "score"
    max_context: int | None = None
    runtime: str = "any"
    quant: str | None = None
    kv_quant: str = DEFAULT_KV_CACHE
    prompt_tokens: int = PROMPT_TOKENS
    group: str = "none"  # base: one row per variant group (the representative when it runs)
    licenses: frozenset[str] | None = None  # any of these (lower case) among the model's licenses
    force_runtime: str | None = None  # analyse with this runtime only (llamacpp | mlx)
    what_if: WhatIf = WhatIf()  # the node's System with RAM, VRAM or cores changed (engine.whatif)
    filters: dict[str, Any] = field(default_factory=dict)


def _bool(param: str, value: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise QueryError(param, f"invalid {param} value: use true|false")


def _int(param: str, value: str, minimum: int, maximum: int) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise QueryError(param, f"invalid {param} value: expected an integer from {minimum} to {maximum}")
    number = int(value)
    if not minimum <= number <= maximum:
        raise QueryError(param, f"invalid {param} value: expected an integer from {minimum} to {maximum}")
    return number


def _choice(param: str, value: str, aliases: Mapping[str, str], allowed: str) -> str:
    chosen = aliases.get(value.strip().lower())
    if chosen is None:
        raise QueryError(param, f"invalid {param} value: use {allowed}")
    return chosen


def parse_query(params: Mapping[str, str], *, route: Route, name: str | None = None) -> Query:
    """Validate llmfit's query parameters; unknown parameters are ignored."""
    get = params.get
    limit_raw = get("limit") if get("limit") is not None else get("top") if get("top") is not None else get("n")
    limit = _int("limit", limit_raw, 0, 1_000_000) if limit_raw is not None else DEFAULT_LIMIT[route]
    perfect = _bool("perfect", get("perfect", "")) if get("perfect") is not None else False
    include_too_tight = (
        _bool("include_too_tight", get("include_too_tight", "")) if get("include_too_tight") is not None else None
    )
    allowed_fit = "perfect|good|marginal|too_tight"
    if get("min_fit") is not None:
        min_fit = _choice("min_fit", get("min_fit", ""), MIN_FIT_ALIASES, allowed_fit)
    else:
        min_fit = "too_tight" if include_too_tight else "marginal"
    if route == "name" and get("min_fit") is None and include_too_tight is not False:
        min_fit = "too_tight"  # asking for a model by name shows it whatever its fit
    use_case = (
        _choice("use_case", get("use_case", ""), USE_CASE_ALIASES, "general|coding|reasoning|chat|multimodal|embedding")
        if get("use_case") is not None
        else None
    )
    sort = (
        _choice("sort", get("sort", ""), SORT_ALIASES, "score|tps|params|mem|ctx|date|use_case")
        if get("sort") is not None
        else "score"
    )
    runtime = (
        _choice("runtime", get("runtime", ""), RUNTIME_ALIASES, "any|mlx|llamacpp")
        if get("runtime") is not None
        else "any"
    )
    max_context = _int("max_context", get("max_context", ""), 1, MAX_CONTEXT_LIMIT) if get("max_context") else None
    quant = None
    if get("quant") is not None:
        quant = parse_quant(get("quant", ""))
        if quant is None:
            raise QueryError("quant", f"invalid quant value: use {'|'.join(FORCEABLE)} (any case)")
    prompt_tokens = (
        _int("prompt_tokens", get("prompt_tokens", ""), 1, MAX_CONTEXT_LIMIT) if get("prompt_tokens") else PROMPT_TOKENS
    )
    kv_quant = DEFAULT_KV_CACHE
    if get("kv_quant") is not None:
        kv_quant = parse_kv_quant(get("kv_quant", "")) or ""
        if not kv_quant:
            raise QueryError("kv_quant", f"invalid kv_quant value: use {'|'.join(KV_CACHE_TYPES)}")
    what_if = _what_if(params)
    license_text = get("license")
    licenses = _licenses(license_text) if license_text is not None else None
    force_runtime = None
    if get("force_runtime") is not None:
        force_runtime = _choice("force_runtime", get("force_runtime", ""), FORCE_RUNTIME_ALIASES, "llamacpp|mlx")
        if force_runtime not in FORCEABLE_RUNTIMES:
            raise QueryError(
                "force_runtime",
                f"invalid force_runtime value: fleetfit cannot model {force_runtime} (it models llamacpp and mlx); "
                "use llamacpp|mlx",
            )
        if quant is not None and force_runtime != "llamacpp":
            raise QueryError("force_runtime", f"force_runtime={force_runtime} contradicts quant={quant} (a GGUF quant)")
    if get("group") is not None:
        group = get("group", "").strip().lower()
        if group not in GROUPS:
            raise QueryError("group", f"invalid group value: use {'|'.join(GROUPS)}")
    else:
        group = "none" if get("search") or name is not None else DEFAULT_GROUP[route]
    filters = {
        "limit": limit,
        "min_fit": get("min_fit"),
        "perfect": perfect if get("perfect") is not None else None,
        "include_too_tight": include_too_tight,
        "use_case": get("use_case"),
        "provider": get("provider"),
        "search": get("search"),
        "sort": get("sort"),
        "max_context": max_context,
        "runtime": get("runtime"),
        "quant": quant,
        "kv_quant": kv_quant if get("kv_quant") is not None else None,
        "prompt_tokens": prompt_tokens if get("prompt_tokens") else None,
        "group": group,
        "top_only": route == "top",
        "ram_gb": what_if.ram_gb,
        "vram_gb": what_if.vram_gb,
        "cpu_cores": what_if.cpu_cores,
        "license": get("license"),
        "force_runtime": force_runtime,
    }
    if route == "name":
        filters["name"] = name
        if filters["search"] is None:
            filters["search"] = name  # llmfit echoes a /models/{name} lookup as a search
    return Query(
        route=route,
        name=name,
        limit=limit,
        min_fit=min_fit,
        perfect=perfect,
        include_too_tight=include_too_tight,
        use_case=use_case,
        provider=(get("provider") or "").strip().lower() or None,
        search=(get("search") or "").strip().lower() or None,
        sort=sort,
        max_context=max_context,
        runtime=runtime,
        quant=quant,
        kv_quant=kv_quant,
        prompt_tokens=prompt_tokens,
        group=group,
        licenses=licenses,
        force_runtime=force_runtime,
        what_if=what_if,
        filters=filters,
    )


def _one_of(params: Mapping[str, str], name: str, alias: str) -> tuple[str, str] | None:
    """(the name used, its value) for a parameter with an alias; both given is a 400."""
    if params.get(name) is not None and params.get(alias) is not None:
        raise QueryError(name, f"give {name} or its alias {alias}, not both")
    if params.get(name) is not None:
        return name, params[name]
    if params.get(alias) is not None:
        return alias, params[alias]
    return None


def _what_if(params: Mapping[str, str]) -> WhatIf:
    """llmfit's hardware overrides: ram_gb (alias ram), vram_gb (alias memory), cpu_cores."""
    try:
        ram = _one_of(params, "ram_gb", "ram")
        vram = _one_of(params, "vram_gb", "memory")
        return WhatIf(
            ram_gb=parse_number(ram[0], ram[1], positive=True, maximum=RAM_MAX) if ram else None,
            vram_gb=parse_number(vram[0], vram[1], positive=False, maximum=VRAM_MAX) if vram else None,
            cpu_cores=parse_cores("cpu_cores", params["cpu_cores"]) if params.get("cpu_cores") is not None else None,
        )
    except WhatIfError as exc:
        raise QueryError(exc.param, str(exc)) from exc


def _licenses(value: str) -> frozenset[str]:
    wanted = frozenset(part.strip().lower() for part in value.split(",") if part.strip())
    if not wanted or len(value) > MAX_LICENSE_TEXT:
        raise QueryError(
            "license",
            f"invalid license value: one or more licenses, comma-separated (e.g. apache-2.0,mit), "
            f"at most {MAX_LICENSE_TEXT} characters",
        )
    return wanted


def what_if_system(system: System, query: Query) -> System:
    """The System a query analyses: the node's, or a copy with the query's what-if hardware."""
    what_if = getattr(query, "what_if", None)
    if not what_if:
        return system
    try:
        return apply_what_if(system, what_if)
    except WhatIfError as exc:
        raise QueryError(exc.param, str(exc)) from exc


# Profiles are per-model invariants: computed once per catalog version, reused for every node.
_PROFILES: dict[str, tuple[ModelProfile, ...]] = {}


def profiles(catalog: Catalog) -> tuple[ModelProfile, ...]:
    cached = _PROFILES.get(catalog.version)
    if cached is None:
        shipped = prepared.profiles_of(catalog.invariants, catalog) if catalog.invariants else None
        cached = tuple(shipped if shipped is not None else map(build_profile, catalog.entries))
        _PROFILES.clear()  # one catalog at a time: a refreshed catalog replaces the old one
        _TIEBREAKS.clear()
        forget_pools_analyses()  # made for the old catalog's profiles
        _PROFILES[catalog.version] = cached
    return cached


def analysis_options(
    catalog: Catalog,
    max_context: int | None = None,
    quant: str | None = None,
    kv_quant: str = DEFAULT_KV_CACHE,
    prompt_tokens: int = PROMPT_TOKENS,
    runtime: str | None = None,
) -> Options:
    """Analysis options for a catalog: quality is dated by the catalog's newest model, not the clock."""
    return Options(
        reference_date=reference_date(catalog),
        max_context=max_context,
        quant=quant,
        kv_quant=kv_quant,
        prompt_tokens=prompt_tokens,
        runtime=runtime,
    )


def reference_date(catalog: Catalog) -> date:
    try:
        return date.fromisoformat(catalog.built_at)
    except ValueError:
        return date.today()


def _wanted(profile: ModelProfile, query: Query, apple: bool) -> bool:
    entry = profile.entry
    if query.name is not None:
        wanted = query.name.strip().lower()
        names = (profile.name.lower(), *(alias.lower() for alias in entry.get("aliases", ())))
        if query.route == "name":
            if not any(wanted in n for n in names):
                return False
        elif wanted not in names:
            return False
    elif profile.mlx_only and not apple:
        return False
    if query.provider and query.provider not in entry["provider"].lower():
        return False
    if query.use_case and profile.category != query.use_case:
        return False
    if query.search:
        haystack = f"{profile.name} {entry['provider']} {entry['parameter_count']} {profile.category}".lower()
        if query.search not in haystack:
            return False
    return query.licenses is None or licensed(entry.get("license"), query.licenses)


def licensed(license_text: str | None, wanted: frozenset[str]) -> bool:
    """Any of the model's comma-separated licenses is wanted (exact, any case); no license never matches."""
    return bool(license_text) and any(part.strip().lower() in wanted for part in (license_text or "").split(","))


def runs_forced(profile: ModelProfile, forced: str | None) -> bool:
    """The model has a build for the forced runtime: llama.cpp needs GGUFs (not an MLX-only entry), MLX an
    MLX build. Models without one are left out of a forced listing, as llmfit's runtime filter would."""
    if forced is None:
        return True
    if forced == "mlx":
        return profile.mlx_only or profile.has_mlx_build
    return not profile.mlx_only


def _check_forced(query: Query, apple: bool, system: System) -> None:
    if query.force_runtime == "mlx" and not apple:
        raise QueryError(
            "force_runtime",
            f"force_runtime=mlx needs Apple Silicon (Metal, unified memory); this node's backend is {system.backend}",
        )


def fit_rows(system: System, catalog: Catalog, query: Query) -> list[Fit]:
    """Analyze every catalog model the query's model-level filters keep."""
    hw = resolve(system)
    _check_forced(query, hw.apple, system)
    options = analysis_options(
        catalog, query.max_context, query.quant, query.kv_quant, query.prompt_tokens, query.force_runtime
    )
    return [
        analyze(p, hw, options)
        for p in profiles(catalog)
        if _wanted(p, query, hw.apple) and runs_forced(p, query.force_runtime)
    ]


SortKey = Callable[[Fit], Any]
SORT_KEYS: dict[str, SortKey] = {
    "score": lambda f: -f.score,
    "tps": lambda f: (-f.estimated_tps, -f.score),
    "params": lambda f: -f.profile.params,
    "mem": lambda f: -f.utilization_pct,
    "ctx": lambda f: (-f.usable, -f.profile.context_length),
    "date": lambda f: _date_key(f.profile.entry.get("release_date")),
    "use_case": lambda f: (f.profile.category, -f.score),
}


def _date_key(value: str | None) -> tuple[bool, str]:
    # Newest first, undated last, in one ascending sort: map each digit d to 9-d.
    return (value is None, "" if value is None else value.translate(_NEWEST_FIRST))


_NEWEST_FIRST = str.maketrans("0123456789", "9876543210")


def hides_narrow(query: Query) -> bool:
    """Recommendations (the top list, General and Chat) leave out OCR, speech and embedding models; the full
    listing keeps every row (llmfit clients expect them)."""
    return query.route == "top" or query.group == "base" or query.use_case in NEVER_IN_USE_CASES


def _row_rule(query: Query) -> tuple[frozenset[str], bool, str]:
    """The row-level filters of one query as (fit levels kept: min_fit, perfect and the too_tight rules; whether
    never_ranked models are left out: narrow listings of a use case that hides them; the runtime asked for)."""
    least = FIT_ORDER["perfect" if query.perfect else query.min_fit]
    drop_too_tight = query.route == "top" or query.include_too_tight is False
    levels = frozenset(
        level for level, order in FIT_ORDER.items() if order >= least and not (level == "too_tight" and drop_too_tight)
    )
    return levels, hides_narrow(query) and hides_never_ranked(query.use_case), query.runtime


def _never_ranked(profile: ModelProfile) -> bool:
    """Whether the model is of a kind that the use cases hiding narrow models leave out (scoring.never_ranked)."""
    return never_ranked_kind(profile.entry.get("kind") or "chat", profile.category)


def keeper(query: Query) -> Callable[[Fit], bool]:
    """The row-level filters of one query (_row_rule), its rules read once (a ranking filters twelve thousand
    rows with it)."""
    levels, narrow, runtime = _row_rule(query)

    def kept(fit: Fit) -> bool:
        if fit.fit_level not in levels:
            return False
        if narrow and _never_ranked(fit.profile):
            return False
        return runtime == "any" or fit.runtime == runtime

    return kept


def order_key(query: Query) -> Callable[[Fit], tuple[Any, ...]]:
    """Sort key: too_tight last, then the requested order, ties by trust (the releasing lab's own repo, then
    the most downloaded), then by name."""
    key = SORT_KEYS[query.sort]

    def ordered(fit: Fit) -> tuple[Any, ...]:
        return (fit.fit_level == "too_tight", key(fit), *_tiebreak(fit.profile))

    return ordered


# order_key's ties read only the catalog entry: kept per entry (with the entry itself, so an id is never read
# for another one), at most one catalog's worth, emptied when the profiles of a new catalog are built.
MAX_TIEBREAKS = 65_536
_TIEBREAKS: dict[int, tuple[Any, tuple[tuple[bool, int], str]]] = {}


_TIE_ORDERS: dict[str, list[int]] = {}


def tie_order(catalog: Catalog) -> list[int]:
    """Positions of profiles(catalog) sorted by order_key's tiebreak (ties: catalog order), once per catalog."""
    found = _TIE_ORDERS.get(catalog.version)
    if found is None:
        every = profiles(catalog)
        found = sorted(range(len(every)), key=lambda i: _tiebreak(every[i]))
        _TIE_ORDERS.clear()  # one catalog at a time, as the profiles
        _TIE_ORDERS[catalog.version] = found
    return found


@dataclass(frozen=True, eq=False)
class RowFacts:
    """What a ranking's row filter and fold read of each of profiles(catalog) alone, once per catalog."""

    groups: tuple[str, ...]  # group_of
    representative: tuple[bool, ...]  # the group's representative
    never_ranked: tuple[bool, ...]  # never_ranked_kind: left out where a use case hides such models
    mlx_only: tuple[bool, ...]
    _visible: dict[tuple[bool, bool], tuple[bool, ...]] = field(default_factory=dict, compare=False)

    def visible(self, narrow: bool, apple: bool) -> tuple[bool, ...]:
        """Rows a filter keeps whatever their analysis: not hidden as narrow (`narrow`: the query hides them),
        and runnable here (MLX-only builds on Apple only)."""
        found = self._visible.get((narrow, apple))
        if found is None:
            pairs = zip(self.never_ranked, self.mlx_only, strict=True)
            found = self._visible[(narrow, apple)] = tuple(
                not (narrow and hidden) and (apple or not mlx) for hidden, mlx in pairs
            )
        return found


_ROW_FACTS: dict[str, RowFacts] = {}


def row_facts(catalog: Catalog) -> RowFacts:
    found = _ROW_FACTS.get(catalog.version)
    if found is None:
        every = profiles(catalog)
        groups = tuple(group_of(p) for p in every)
        found = RowFacts(
            groups,
            tuple(g == p.name for g, p in zip(groups, every, strict=True)),
            tuple(map(_never_ranked, every)),
            tuple(p.mlx_only for p in every),
        )
        _ROW_FACTS.clear()  # one catalog at a time, as the profiles
        _ROW_FACTS[catalog.version] = found
    return found


def _tiebreak(profile: ModelProfile) -> tuple[tuple[bool, int], str]:
    """(trust: not the lab's own repo, fewer downloads; lower-case name) of a model."""
    entry = profile.entry
    found = _TIEBREAKS.get(id(entry))
    if found is not None and found[0] is entry:
        return found[1]
    tail = ((not entry.get("first_party", False), -(entry.get("downloads") or 0)), profile.name.lower())
    if len(_TIEBREAKS) < MAX_TIEBREAKS:
        _TIEBREAKS[id(entry)] = (entry, tail)
    return tail


def group_of(profile: ModelProfile) -> str:
    """The variant group of a model: its representative's name (the catalog's `group`, else its own name)."""
    return profile.entry.get("group") or profile.name


def fold(members: Iterable[tuple[str, bool]]) -> list[tuple[int, int]]:
    """One row per variant group. `members`: each row's (group, is the representative), in ranked order.
    Returns (index of the row to show, rows of its group) per group, in ranked order of the rows shown: the
    representative when it is among the rows (it runs and passes the filters), else the group's best row."""
    first: dict[str, int] = {}
    representative: dict[str, int] = {}
    count: dict[str, int] = {}
    for i, (group, is_representative) in enumerate(members):
        first.setdefault(group, i)
        count[group] = count.get(group, 0) + 1
        if is_representative:
            representative.setdefault(group, i)
    return sorted((representative.get(group, i), count[group]) for group, i in first.items())


def folded(rows: list[Fit]) -> list[tuple[Fit, int]]:
    """`rows` (ranked) folded to one row per variant group: (the row shown, rows of its group)."""
    members = ((group := group_of(f.profile), group == f.profile.name) for f in rows)
    return [(rows[i], n) for i, n in fold(members)]


def _page(rows: list[tuple[Fit, int]], limit: int | None) -> tuple[int, list[Fit]]:
    """(groups, the page's rows carrying their `variants` count): copies, the ranking's rows stay as they are."""
    shown = rows if limit is None else rows[:limit]
    return len(rows), [replace(fit, variants=n) for fit, n in shown]


def select(rows: Iterable[Fit], query: Query) -> tuple[int, list[Fit]]:
    """Filter, sort, (group,) limit. Returns (total after filters, page)."""
    kept = list(filter(keeper(query), rows))
    kept.sort(key=order_key(query))
    if query.group == "base":
        return _page(folded(kept), query.limit)
    page = kept if query.limit is None else kept[: query.limit]
    return len(kept), page


def node_of(hostname: str | None = None) -> Node:
    return Node(name=hostname or platform.node() or "unknown-node", os=platform.system().lower() or "unknown")


# Rankings: every catalog model analysed for one System and one set of analysis options, kept for reuse.
# A fleet is a few dozen hardware classes, so the API answers most requests from here (a filter and a walk
# down a pre-sorted list) instead of analysing the catalog again. Least recently used rankings go first.
MAX_RANKINGS = 16
_RANKINGS: OrderedDict[tuple[str, str, int | None, str | None, str, int, str | None], Ranking] = OrderedDict()
_RANKINGS_LOCK = threading.Lock()


@dataclass
class Ranking:
    fits: list[Fit]
    apple: bool
    orders: dict[str, list[Fit]] = field(default_factory=dict)
    # Positions of `fits` in order_key's tiebreak order (tie_order), when the catalog's is known: then a sort
    # compares only the key's head, over rows already in tiebreak order (a stable sort keeps it for ties).
    tie_order: list[int] | None = None
    # With tie_order: what the row filter and fold read of each row's catalog entry (row_facts).
    facts: RowFacts | None = None

    counts: dict[tuple[str, bool, bool | None, str, bool], int] = field(default_factory=dict)
    groups: dict[tuple[Any, ...], list[tuple[Fit, int]]] = field(default_factory=dict)

    def _kept(self, fits: Iterable[Fit], query: Query) -> list[Fit]:
        """The rows of `fits` the query's row filters keep and this node runs (MLX-only builds on Apple only)."""
        kept, apple = keeper(query), self.apple
        return [fit for fit in fits if kept(fit) and (apple or not fit.profile.mlx_only)]

    @staticmethod
    def _row_filters(query: Query) -> tuple[str, bool, bool | None, str, bool]:
        return (
            query.min_fit,
            query.perfect,
            query.route == "top" or query.include_too_tight is False,
            query.runtime,
            hides_narrow(query),
        )

    def grouped(self, query: Query) -> list[tuple[Fit, int]]:
        """The rows the row-level filters keep, folded to one per variant group, in order, each with the
        number of rows of its group (memoised)."""
        key = (*self._row_filters(query), query.sort)
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = folded(self._kept(self.ordered(query), query))
        return found

    def leading(self, query: Query, n: int) -> tuple[list[tuple[Fit, int]], int]:
        """(grouped(query)[:n], len(grouped(query))) without folding every group: a fleet digest keeps only
        the first rows. A group's row is its representative when that is kept, else its first row in order;
        walking the rows in order meets those rows in the order fold lays them out. Without a sorted order at
        hand, the rows are filtered first and only those sorted."""
        key = (*self._row_filters(query), query.sort)
        found = self.groups.get(key)
        if found is not None:
            return found[:n], len(found)
        if query.sort in self.orders or self.tie_order is None or self.facts is None:
            rows = self._kept(self.ordered(query), query)
            groups = [group_of(fit.profile) for fit in rows]
            with_representative = {group for fit, group in zip(rows, groups, strict=True) if group == fit.profile.name}
        else:  # filtered first, fewer rows to sort (stable, from tiebreak order: ordered's order), facts read off
            fits, head, facts = self.fits, SORT_KEYS[query.sort], self.facts
            levels, narrow, runtime = _row_rule(query)
            visible = facts.visible(narrow, self.apple)
            at = [i for i in self.tie_order if visible[i] and fits[i].fit_level in levels]
            if runtime != "any":
                at = [i for i in at if fits[i].runtime == runtime]
            at.sort(key=lambda i: (fits[i].fit_level == "too_tight", head(fits[i])))
            rows, groups = [fits[i] for i in at], [facts.groups[i] for i in at]
            with_representative = {facts.groups[i] for i in at if facts.representative[i]}
        sizes = Counter(groups)
        out: list[tuple[Fit, int]] = []
        seen: set[str] = set()
        for fit, group in zip(rows, groups, strict=True):
            if len(out) == n:
                break
            if group in seen or (group in with_representative and group != fit.profile.name):
                continue  # shown already, or shown at its representative further down
            seen.add(group)
            out.append((fit, sizes[group]))
        return out, len(sizes)

    def count(self, query: Query) -> int:
        """Rows that the row-level filters keep (models hidden on this hardware left out)."""
        key = self._row_filters(query)
        found = self.counts.get(key)
        if found is None:
            found = self.counts[key] = len(self._kept(self.fits, query))
        return found

    def ordered(self, query: Query) -> list[Fit]:
        """The rows in order_key's order (memoised per sort)."""
        order = self.orders.get(query.sort)
        if order is None:
            if self.tie_order is None:
                order = sorted(self.fits, key=order_key(query))
            else:
                head = SORT_KEYS[query.sort]
                fits = self.fits
                order = sorted((fits[i] for i in self.tie_order), key=lambda f: (f.fit_level == "too_tight", head(f)))
            self.orders[query.sort] = order
        return order


_BUILT = 0


def rankings_built() -> int:
    """How many rankings this process has built (a long-lived caller can tell when one was added)."""
    return _BUILT


def forget_rankings() -> None:
    """Drop the rankings kept per hardware class (the next request for each analyses it again)."""
    with _RANKINGS_LOCK:
        _RANKINGS.clear()


def ranking(system: System, catalog: Catalog, query: Query) -> Ranking:
    """Every catalog model analysed for `system` under the query's analysis options (memoised)."""
    key = (
        catalog.version,
        system.model_dump_json(),
        query.max_context,
        query.quant,
        query.kv_quant,
        query.prompt_tokens,
        query.force_runtime,
    )
    with _RANKINGS_LOCK:
        found = _RANKINGS.get(key)
        if found is not None:
            _RANKINGS.move_to_end(key)
            return found
    hw = resolve(system)
    _check_forced(query, hw.apple, system)
    options = analysis_options(
        catalog, query.max_context, query.quant, query.kv_quant, query.prompt_tokens, query.force_runtime
    )
    every = profiles(catalog)
    chosen = [p for p in every if runs_forced(p, query.force_runtime)]
    # Every profile chosen (no forced runtime): the rows are the catalog's, whose tiebreak order is known.
    ties = tie_order(catalog) if len(chosen) == len(every) else None
    facts = row_facts(catalog) if ties is not None else None
    built = Ranking(analyze_all(chosen, hw, options), hw.apple, tie_order=ties, facts=facts)
    global _BUILT
    with _RANKINGS_LOCK:
        _BUILT += 1
        _RANKINGS[key] = built
        while len(_RANKINGS) > MAX_RANKINGS:
            _RANKINGS.popitem(last=False)
    return built


def ranked(system: System, catalog: Catalog, query: Query) -> tuple[int, list[Fit]]:
    """(total after filters, page) for a query: one model by exact name is analysed alone; anything else
    is read off the System's ranking."""
    if query.name is not None and query.route != "name":
        return select(fit_rows(system, catalog, query), query)
    table = ranking(system, catalog, query)
    limit = query.limit
    page: list[Fit] = []
    kept = keeper(query)
    if query.name is None and not (query.provider or query.use_case or query.search or query.licenses is not None):
        # No model-level filter: the total is a per-ranking count, and the page stops at the limit.
        if query.group == "base":
            return _page(table.grouped(query), limit)
        for fit in table.ordered(query):
            if limit is not None and len(page) >= limit:
                break
            if kept(fit) and (table.apple or not fit.profile.mlx_only):
                page.append(fit)
        return table.count(query), page
    if query.group == "base":
        return _page(
            folded([f for f in table.ordered(query) if kept(f) and _wanted(f.profile, query, table.apple)]),
            limit,
        )
    total = 0
    for fit in table.ordered(query):
        if kept(fit) and _wanted(fit.profile, query, table.apple):
            total += 1
            if limit is None or len(page) < limit:
                page.append(fit)
    return total, page


def system_json(system: System) -> dict[str, Any]:
    """The System object as the envelope writes it, with llmfit's gpu_available_gb: the GPU memory free when
    the node reported (every card's free_vram_gb; null without a GPU or when a card did not say)."""
    data = system.model_dump(mode="json")
    free = [g.free_vram_gb for g in system.gpus]
    known = bool(free) and all(f is not None for f in free)
    data["gpu_available_gb"] = round(sum((g.free_vram_gb or 0.0) * g.count for g in system.gpus), 2) if known else None
    return data


def envelope_dict(
    system: System, catalog: Catalog, query: Query, node: Node, *, evaluate_as: System | None = None
) -> dict[str, Any]:
    """The seed's envelope as plain JSON-ready data. `evaluate_as`: analyse as this System (a node's
    hardware class) while echoing the node's own."""
    total, page = ranked(evaluate_as or system, catalog, query)
    return {
        "node": node.model_dump(),
        "system": system_json(system),
        "total_models": total,
        "returned_models": len(page),
        "filters": query.filters,
        "models": [fit.as_dict() for fit in page],
        "catalog_version": catalog.version,
    }


def envelope_head(system: System, catalog: Catalog, query: Query, node: Node, total: int, returned: int) -> str:
    """The envelope's JSON text up to its "models" array (for writers that stream the rows)."""
    head = json.dumps(
        {
            "node": node.model_dump(),
            "system": system_json(system),
            "total_models": total,
            "returned_models": returned,
            "filters": query.filters,
            "catalog_version": catalog.version,
        },
        separators=(",", ":"),
    )
    return head[:-1] + ',"models":['


def envelope_json(
    system: System, catalog: Catalog, query: Query, node: Node, *, evaluate_as: System | None = None
) -> str:
    """The same envelope as compact JSON text, without building a dict per model (full listings)."""
    total, page = ranked(evaluate_as or system, catalog, query)
    return envelope_head(system, catalog, query, node, total, len(page)) + ",".join(f.as_json() for f in page) + "]}"


def fit_envelope(
    system: System, catalog: Catalog, query: Query, node: Node, *, evaluate_as: System | None = None
) -> Envelope:
    """The seed's envelope, validated against the contract."""
    return Envelope.model_validate(envelope_dict(system, catalog, query, node, evaluate_as=evaluate_as))
