"""Fleet-wide answers: which nodes run model X, nodes side by side, the fleet summary, where X should go.

Every answer starts from the class registry (a few dozen hardware classes, whatever the fleet's size),
evaluates the model — or, for the summary, the catalog — once per class with the engine, and only then
reads nodes: those of the classes that qualify, by index, one store page at a time. Store requests grow
with the number of classes and of result pages, never with the number of nodes.

Stale nodes (no report for longer than ``stale_after_hours``) are flagged on every row and counted in every
total; listings keep them unless asked not to, and placement leaves them out unless asked to use them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from fleetfit.contract import System
from fleetfit.store import ClassRecord, NodeRecord, Store
from fleetfit.store.base import BadPageToken, decode_token, encode_token

FIT_ORDER = {"perfect": 3, "good": 2, "marginal": 1, "too_tight": 0}
SORTS = ("tps", "score", "fit", "headroom")
MAX_COMPARE_NODES = 16
MAX_COMPARE_MODELS = 50


class UnknownModel(LookupError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f"; did you mean: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"model {name[:256]!r} is not in the catalog{hint}")
        self.suggestions = suggestions


class UnknownNodes(LookupError):
    def __init__(self, node_ids: list[str]) -> None:
        shown = ", ".join(repr(n[:128]) for n in node_ids[:5])
        super().__init__(f"no report was ever stored for node(s) {shown}")


@dataclass(frozen=True)
class FleetEngine:
    """The engine as fleet answers use it (``EnginePort.fleet``): plain functions, swappable in tests."""

    profile_of: Callable[[Any, str], Any]  # (catalog, name) -> profile | None
    suggest: Callable[[Any, str], list[str]]  # (catalog, name) -> close names
    fit_model: Callable[..., Any]  # (profile, system, catalog, *, max_context, quant, kv_quant, prompt_tokens) -> Fit
    class_system: Callable[[System], System]
    digest_of: Callable[[System, Any], Any]  # (class system, catalog) -> Digest of the full ranking
    plan: Callable[..., dict[str, Any]]  # (profile, system, catalog, **Listing.options()) -> engine.fleet.plan
    why: Callable[[Any], str]
    best_levels: Callable[[list[Any], int], dict[str, int]]
    digest_type: type
    # (node system, class system, catalog, digest, query, node) -> the default /top envelope from a digest
    top_envelope_json: Callable[..., str] | None = None
    # (profile, system, catalog, **Listing.options(), min_fit, limit) -> replicas one node holds, each with
    # its `cards` and `fit` (engine.fleetwide.replicas_on); None: one replica per node, on its fit
    replicas: Callable[..., list[Any]] | None = None
    # ([(digest, fresh nodes)]) -> the models that lead the most nodes (engine.fleetwide.leaders); None: none
    leaders: Callable[[list[tuple[Any, int]]], list[dict[str, Any]]] | None = None
    # (profiles, system, catalog) -> their Fits on the System, resolved once (engine.fleetwide.fit_models);
    # None: one fit_model per profile
    fit_models: Callable[..., list[Any]] | None = None


def real_fleet_engine() -> FleetEngine:
    from fleetfit.engine import fleetwide
    from fleetfit.engine.fleet import class_system, plan
    from fleetfit.engine.query import Query, analysis_options, ranking

    def digest_of(system: System, catalog: Any) -> Any:
        return fleetwide.digest(ranking(system, catalog, Query()), catalog.version)

    def plan_for(profile: Any, system: System, catalog: Any, **options: Any) -> dict[str, Any]:
        """options: max_context, quant, kv_quant, prompt_tokens (analysis_options)."""
        return plan(profile, system, analysis_options(catalog, **options))

    return FleetEngine(
        profile_of=fleetwide.profile_of,
        suggest=lambda catalog, name: list(catalog.suggest(name)),
        fit_model=fleetwide.fit_model,
        class_system=class_system,
        digest_of=digest_of,
        plan=plan_for,
        why=fleetwide.why,
        best_levels=fleetwide.best_levels,
        digest_type=fleetwide.Digest,
        top_envelope_json=fleetwide.top_envelope_json,
        replicas=fleetwide.replicas_on,
        leaders=fleetwide.leaders,
        fit_models=fleetwide.fit_models,
    )


# -- digests: per (catalog version, class), in this process and in the store --------------------------------

MAX_DIGESTS = 4096  # a digest is a few KB: thousands of classes fit in a Lambda's memory
_DIGESTS: OrderedDict[tuple[str, str], Any] = OrderedDict()
_DIGESTS_LOCK = threading.Lock()


def cards_of(cls: ClassRecord) -> tuple[tuple[str, str, float, int], ...]:
    """A class's GPUs (backend, name, memory, count), to evaluate classes with the same cards in turn."""
    return tuple((g.backend, g.name, g.vram_gb, g.count) for g in cls.system.gpus)


def _cached_digest(version: str, hw_class: str) -> Any:
    with _DIGESTS_LOCK:
        found = _DIGESTS.get((version, hw_class))
        if found is not None:
            _DIGESTS.move_to_end((version, hw_class))
        return found


def _keep_digest(version: str, hw_class: str, digest: Any) -> None:
    with _DIGESTS_LOCK:
        _DIGESTS[(version, hw_class)] = digest
        while len(_DIGESTS) > MAX_DIGESTS:
            _DIGESTS.popitem(last=False)


def forget_digests() -> None:
    with _DIGESTS_LOCK:
        _DIGESTS.clear()


def encode_digest(digest: Any) -> bytes:
    size = (digest.models + 7) // 8
    doc = {
        "v": digest.catalog_version,
        "n": digest.models,
        "m": [base64.b64encode(mask.to_bytes(size, "little")).decode() for mask in digest.at_least],
        "t": list(digest.top),
        "c": list(digest.variants),
        "g": digest.top_total,
    }
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)


def decode_digest(data: bytes, digest_type: type) -> Any:
    doc = json.loads(zlib.decompress(data))
    return digest_type(
        catalog_version=doc["v"],
        models=doc["n"],
        at_least=tuple(int.from_bytes(base64.b64decode(m), "little") for m in doc["m"]),
        top=tuple(doc["t"]),
        variants=tuple(doc.get("c", ())),  # digests stored before variant groups lack these two
        top_total=doc.get("g"),
    )


# -- the answers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """`fleet/models/{name}` and placement: which classes count, and how nodes are ordered."""

    min_fit: str = "marginal"
    quant: str | None = None
    max_context: int | None = None
    backend: str | None = None
    gpu: str | None = None
    include_stale: bool = True
    sort: str = "tps"
    kv_quant: str = "f16"  # llama.cpp KV-cache type (engine.quants.KV_CACHE_TYPES)
    prompt_tokens: int = 512  # the prompt prefill_tps and ttft_ms assume (engine.prefill.PROMPT_TOKENS)

    def options(self) -> dict[str, Any]:
        """The analysis options every fit of this listing is made with."""
        return {
            "max_context": self.max_context,
            "quant": self.quant,
            "kv_quant": self.kv_quant,
            "prompt_tokens": self.prompt_tokens,
        }


def _fit_facts(fit: Any, why: str | None = None) -> dict[str, Any]:
    p = fit.placement
    facts = {
        "fit_level": fit.fit_level,
        "run_mode": p.mode,
        "best_quant": p.quant,
        "runtime": fit.runtime,
        "estimated_tps": fit.estimated_tps,
        "memory_required_gb": round(p.required_bytes / 2**30, 2),
        "memory_available_gb": round(p.available_bytes / 2**30, 2),
        "utilization_pct": fit.utilization_pct,
        "score": fit.score,
        "kv_quant": fit.options.kv_quant,
        "prompt_tokens": fit.prompt_tokens,
        "prefill_tps": fit.prefill_tps,
        "ttft_ms": fit.ttft_ms,
    }
    if why is not None:
        facts["why"] = why
    return facts


def _model_ref(profile: Any) -> dict[str, Any]:
    e = profile.entry
    return {
        "name": profile.name,
        "provider": e.get("provider"),
        "parameter_count": e.get("parameter_count"),
        "context_length": e.get("context_length"),
        "use_case": e.get("category"),
    }


def _order_key(sort: str) -> Callable[[tuple[ClassRecord, Any]], tuple[Any, ...]]:
    def headroom(fit: Any) -> float:
        return float(fit.placement.available_bytes - fit.placement.required_bytes)

    keys: dict[str, Callable[[Any], tuple[float, ...]]] = {
        "tps": lambda f: (-f.estimated_tps, -f.score),
        "score": lambda f: (-f.score, -f.estimated_tps),
        "fit": lambda f: (-FIT_ORDER[f.fit_level], -f.estimated_tps),
        "headroom": lambda f: (-headroom(f), -f.estimated_tps),
    }
    key = keys[sort]
    return lambda pair: (pair[1].fit_level == "too_tight", *key(pair[1]), pair[0].hw_class)


@dataclass
class Fleet:
    """One request's view of the fleet: the store, the catalog in use, the engine, and the time now."""

    store: Store
    catalog: Any
    engine: FleetEngine
    now: datetime
    stale_after_hours: float
    eval_budget_s: float = 8.0
    _stale: dict[str, int] | None = field(default=None, repr=False)
    _digest_records: dict[str, ClassRecord] | None = field(default=None, repr=False)

    @property
    def cutoff(self) -> datetime:
        return self.now - timedelta(hours=self.stale_after_hours)

    def is_stale(self, rec: NodeRecord) -> bool:
        return rec.collected_at < self.cutoff

    def stale_counts(self) -> dict[str, int]:
        if self._stale is None:
            self._stale = self.store.stale_by_class(self.cutoff)
        return self._stale

    def profile(self, name: str) -> Any:
        profile = self.engine.profile_of(self.catalog, name)
        if profile is None:
            raise UnknownModel(name, self.engine.suggest(self.catalog, name))
        return profile

    # -- which nodes run model X ------------------------------------------------------------------------
    def _qualifying(self, profile: Any, q: Listing) -> list[tuple[ClassRecord, Any]]:
        """Classes with nodes that pass the filters, each evaluated once, in listing order."""
        out = []
        for cls in self.store.classes():
            if cls.nodes <= 0 or not _hardware_matches(cls.system, q.backend, q.gpu):
                continue
            fit = self.engine.fit_model(profile, cls.system, self.catalog, **q.options())
            if FIT_ORDER[fit.fit_level] >= FIT_ORDER[q.min_fit]:
                out.append((cls, fit))
        out.sort(key=_order_key(q.sort))
        return out

    def _node_row(self, rec: NodeRecord, facts: dict[str, Any], system: System | None = None) -> dict[str, Any]:
        return {
            "node_id": rec.node_id,
            "hostname": rec.hostname,
            "hw_class": rec.hw_class,
            "backend": rec.backend,
            "gpu_name": rec.gpu_name,
            "gpu_count": rec.gpu_count,
            "gpu_vram_gb": rec.gpu_vram_gb,
            "gpus": gpu_groups(system),
            "last_seen": rec.collected_at,
            "stale": self.is_stale(rec),
            **facts,
        }

    def _collect(
        self, ordered: list[tuple[ClassRecord, Any]], start: int, inner: str | None, want: int, include_stale: bool
    ) -> tuple[list[tuple[NodeRecord, Any]], int, str | None]:
        """Up to `want` nodes of the ordered classes from (class `start`, store token `inner`), reading whole
        store pages; returns them with their class's fit, and where the next read would start."""
        out: list[tuple[NodeRecord, Any]] = []
        i = start
        while i < len(ordered) and len(out) < want:
            cls, fit = ordered[i]
            page = self.store.nodes_in_class(cls.hw_class, limit=want - len(out), token=inner)
            out.extend((rec, fit) for rec in page.items if include_stale or not self.is_stale(rec))
            if page.next_token:
                inner = page.next_token
            else:
                i, inner = i + 1, None
        return out, i, inner

    def which(self, name: str, q: Listing, *, limit: int = 100, token: str | None = None) -> dict[str, Any]:
        profile = self.profile(name)
        ordered = self._qualifying(profile, q)
        signature = _signature(self.catalog.version, profile.name, q)
        start, inner = 0, None
        if token:
            pos = decode_token(token, "fleet-models")
            if pos.get("s") != signature:
                raise BadPageToken("next_token belongs to another query (model, filters or catalog changed)")
            ids = [cls.hw_class for cls, _ in ordered]
            if pos.get("k") not in ids:
                raise BadPageToken("the fleet changed since this page was read; start again without next_token")
            start, inner = ids.index(pos["k"]), pos.get("t") or None
        stale = self.stale_counts()
        whys = {cls.hw_class: _fit_facts(fit, self.engine.why(fit)) for cls, fit in ordered}
        found, resume_i, resume = self._collect(ordered, start, inner, limit, q.include_stale)
        systems = {cls.hw_class: cls.system for cls, _ in ordered}
        rows = [self._node_row(rec, whys[rec.hw_class], systems[rec.hw_class]) for rec, _ in found]
        next_token = None
        if resume_i < len(ordered):
            next_token = encode_token(
                "fleet-models", {"s": signature, "k": ordered[resume_i][0].hw_class, "t": resume or ""}
            )
        total = sum(cls.nodes for cls, _ in ordered)
        stale_total = sum(min(stale.get(cls.hw_class, 0), cls.nodes) for cls, _ in ordered)
        return {
            "model": _model_ref(profile),
            "catalog_version": self.catalog.version,
            "filters": {
                "min_fit": q.min_fit,
                "quant": q.quant,
                "max_context": q.max_context,
                "kv_quant": q.kv_quant,
                "prompt_tokens": q.prompt_tokens,
                "backend": q.backend,
                "gpu": q.gpu,
                "include_stale": q.include_stale,
                "sort": q.sort,
                "limit": limit,
            },
            "total_nodes": total if q.include_stale else total - stale_total,
            "stale_nodes": stale_total,
            "returned_nodes": len(rows),
            "classes": [
                {
                    **_class_ref(cls),
                    "stale_nodes": min(stale.get(cls.hw_class, 0), cls.nodes),
                    **whys[cls.hw_class],
                }
                for cls, _ in ordered
            ],
            "nodes": rows,
            "next_token": next_token,
        }

    # -- compare ----------------------------------------------------------------------------------------
    def compare(
        self, node_ids: list[str], *, model: str | None = None, limit: int = 5, options: Listing | None = None
    ) -> dict[str, Any]:
        """`options`: the fit options (kv_quant, prompt_tokens, ...) every model is evaluated with; the top N
        without a model is each class's default ranking (its digest)."""
        fit_options = (options or Listing()).options()
        wanted = list(dict.fromkeys(node_ids))
        profile = self.profile(model) if model is not None else None
        found = self.store.latest_many(wanted)
        missing = [n for n in wanted if n not in found]
        if missing:
            raise UnknownNodes(missing)
        systems: dict[str, System] = {}
        for stored in found.values():
            if stored.hw_class not in systems:
                systems[stored.hw_class] = self.engine.class_system(stored.report.system)
        if profile is not None:
            profiles = [profile]
        else:
            tops = {k: self.digest(k, system).top[:limit] for k, system in systems.items()}
            names: list[str] = []
            for rank in range(limit):
                for node_id in wanted:
                    top = tops[found[node_id].hw_class]
                    if rank < len(top) and top[rank] not in names:
                        names.append(top[rank])
            profiles = [p for p in (self.engine.profile_of(self.catalog, n) for n in names) if p is not None]
        rows = []
        for prof in profiles:
            per_class = {k: self.engine.fit_model(prof, s, self.catalog, **fit_options) for k, s in systems.items()}
            fits = [per_class[found[n].hw_class] for n in wanted]
            runnable = [(f.estimated_tps, n) for f, n in zip(fits, wanted, strict=True) if f.fit_level != "too_tight"]
            rows.append(
                {
                    "model": _model_ref(prof),
                    "fits": [
                        {"node_id": n, **_fit_facts(f, self.engine.why(f))} for f, n in zip(fits, wanted, strict=True)
                    ],
                    "best_node": max(runnable)[1] if runnable else None,
                }
            )
        nodes = []
        for node_id in wanted:
            stored = found[node_id]
            rec = NodeRecord.of(stored)
            nodes.append(
                {
                    "node_id": rec.node_id,
                    "hostname": rec.hostname,
                    "os": rec.os,
                    "last_seen": rec.collected_at,
                    "stale": self.is_stale(rec),
                    "hw_class": rec.hw_class,
                    "system": stored.report.system,
                }
            )
        return {"catalog_version": self.catalog.version, "nodes": nodes, "models": rows}

    # -- digests ----------------------------------------------------------------------------------------
    def digest(self, hw_class: str, system: System, stored: ClassRecord | None = None) -> Any:
        """The class's digest of the catalog in use: from this process, else the store, else computed (a full
        ranking of the catalog: about half a second) and written back for every other process."""
        version = self.catalog.version
        found = _cached_digest(version, hw_class)
        if found is not None:
            if stored is not None and stored.digest_version != version:  # the store lags this process: catch up
                self.store.put_class_digest(hw_class, version, encode_digest(found))
            return found
        if stored is None:
            if self._digest_records is None:
                self._digest_records = {c.hw_class: c for c in self.store.classes(digests=True)}
            stored = self._digest_records.get(hw_class)
        if stored is not None and stored.digest_version == version and stored.digest:
            try:
                found = decode_digest(stored.digest, self.engine.digest_type)
            except (ValueError, KeyError, zlib.error):
                found = None  # unreadable: compute it again below
        if found is None:
            found = self.engine.digest_of(system, self.catalog)
            self.store.put_class_digest(hw_class, version, encode_digest(found))
        _keep_digest(version, hw_class, found)
        return found

    def digests_within(
        self, classes: Iterable[ClassRecord], budget_s: float, after_each: Callable[[], Any] | None = None
    ) -> dict[str, Any]:
        """The digest of each class that has one at hand (this process, the store) or that can be computed
        within `budget_s`; a class missing from the answer is pending. Missing ones are computed in the order
        of their cards, so that classes with the same GPUs (other RAM, another CPU) follow one another and
        share the analyses that read only the cards (the engine keeps those for a few card sets);
        `after_each` runs after each one computed."""
        version = self.catalog.version
        deadline = time.monotonic() + budget_s
        out: dict[str, Any] = {}
        missing = []
        for cls in classes:
            if _cached_digest(version, cls.hw_class) is not None or cls.digest_version == version:
                out[cls.hw_class] = self.digest(cls.hw_class, cls.system, stored=cls)
            else:
                missing.append(cls)
        for cls in sorted(missing, key=cards_of):
            if time.monotonic() > deadline:
                break
            out[cls.hw_class] = self.digest(cls.hw_class, cls.system, stored=cls)
            if after_each is not None:
                after_each()
        return out

    def known_digest(self, hw_class: str) -> Any:
        """The class's digest of the catalog in use if this process or the store has it (one key lookup),
        else None: never computes one."""
        version = self.catalog.version
        found = _cached_digest(version, hw_class)
        if found is not None:
            return found
        stored = self.store.get_class(hw_class, digests=True)
        if stored is None or stored.digest_version != version or not stored.digest:
            return None
        try:
            found = decode_digest(stored.digest, self.engine.digest_type)
        except (ValueError, KeyError, zlib.error):
            return None
        _keep_digest(version, hw_class, found)
        return found

    def remember_class(self, hw_class: str, system: System) -> None:
        """At ingest, right after the class's ranking was built for the answer: keep and store its digest once
        per process and catalog version (one conditional write; later ingests of the class skip it)."""
        version = self.catalog.version
        if _cached_digest(version, hw_class) is not None:
            return
        found = self.engine.digest_of(system, self.catalog)
        self.store.put_class_digest(hw_class, version, encode_digest(found))
        _keep_digest(version, hw_class, found)

    # -- summary ----------------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        classes = [c for c in self.store.classes(digests=True) if c.nodes > 0]
        stale = self.stale_counts()
        gpus: dict[tuple[str, float], dict[str, Any]] = {}
        backends: dict[str, dict[str, Any]] = {}
        total = stale_total = 0
        fresh_classes = []
        for cls in classes:
            n, s = cls.nodes, min(stale.get(cls.hw_class, 0), cls.nodes)
            total, stale_total = total + n, stale_total + s
            if n > s:
                fresh_classes.append(cls)
            b = backends.setdefault(cls.system.backend, {"backend": cls.system.backend, "nodes": 0, "stale_nodes": 0})
            b["nodes"] += n
            b["stale_nodes"] += s
            for gpu in cls.system.gpus:
                key = (gpu.name, round(gpu.vram_gb, 1))
                g = gpus.setdefault(
                    key,
                    {"name": gpu.name, "vram_gb": key[1], "unified_memory": gpu.unified_memory, "nodes": 0,
                     "stale_nodes": 0, "cards": 0},
                )  # fmt: skip
                g["nodes"] += n
                g["stale_nodes"] += s
                g["cards"] += n * gpu.count
        found = self.digests_within(fresh_classes, self.eval_budget_s)
        digests, fresh_nodes, pending = [], [], 0
        for cls in fresh_classes:
            digest = found.get(cls.hw_class)
            if digest is None:
                pending += 1
                continue
            digests.append(digest)
            fresh_nodes.append(cls.nodes - min(stale.get(cls.hw_class, 0), cls.nodes))
        levels = self.engine.best_levels(digests, len(self.catalog))
        leaders = self.engine.leaders(list(zip(digests, fresh_nodes, strict=True))) if self.engine.leaders else []
        return {
            "catalog_version": self.catalog.version,
            "catalog_models": len(self.catalog),
            "stale_after_hours": self.stale_after_hours,
            "nodes": {"total": total, "fresh": total - stale_total, "stale": stale_total},
            "classes": {"total": len(classes), "evaluated": len(digests), "pending": pending},
            "gpus": sorted(gpus.values(), key=lambda g: (-g["cards"], g["name"], g["vram_gb"])),
            "backends": sorted(backends.values(), key=lambda b: (-b["nodes"], b["backend"])),
            "models_by_best_fit": levels,
            "best_models": leaders,
        }

    # -- placement --------------------------------------------------------------------------------------
    def _replicas(self, profile: Any, cls: ClassRecord, fit: Any, q: Listing, limit: int) -> list[Any]:
        """The replicas one node of the class holds (disjoint cards each), at most `limit`."""
        if self.engine.replicas is None:
            return [_OneReplica(fit)]
        found = self.engine.replicas(profile, cls.system, self.catalog, **q.options(), min_fit=q.min_fit, limit=limit)
        return found or [_OneReplica(fit)]

    def place(self, name: str, replicas: int, q: Listing, *, spread: bool = False) -> dict[str, Any]:
        """The best nodes for `replicas` replicas: classes by fit, then speed; a node takes as many replicas as
        it has disjoint card sets for (each listed with its cards), or one with `spread`."""
        profile = self.profile(name)
        q = replace(q, sort="fit")
        ordered = [(c, f) for c, f in self._qualifying(profile, q) if f.fit_level != "too_tight"]
        stale = self.stale_counts()
        usable = {
            c.hw_class: c.nodes - (0 if q.include_stale else min(stale.get(c.hw_class, 0), c.nodes)) for c, _ in ordered
        }
        candidates = sum(usable.values())
        per_node = {c.hw_class: self._replicas(profile, c, f, q, 1 if spread else replicas) for c, f in ordered}
        capacity = sum(usable[k] * len(per_node[k]) for k in usable)
        rank = {cls.hw_class: i + 1 for i, (cls, _) in enumerate(ordered)}
        placed: list[dict[str, Any]] = []
        nodes_used = 0
        for cls, _ in ordered:
            token: str | None = None
            each = len(per_node[cls.hw_class])
            while len(placed) < replicas:
                want = -(-(replicas - len(placed)) // each)  # nodes still needed from this class
                page = self.store.nodes_in_class(cls.hw_class, limit=min(1000, want), token=token)
                for rec in page.items:
                    if len(placed) >= replicas or (self.is_stale(rec) and not q.include_stale):
                        continue
                    nodes_used += 1
                    for rep in per_node[cls.hw_class][: replicas - len(placed)]:
                        why = f"{self.engine.why(rep.fit)}; class {rank[cls.hw_class]} of {len(ordered)} by fit, then speed"
                        if self.is_stale(rec):
                            why += "; stale: no report for over " + f"{self.stale_after_hours:g} h"
                        row = self._node_row(rec, _fit_facts(rep.fit, why), cls.system)
                        placed.append({"replica": len(placed) + 1, "cards": list(rep.cards), **row})
                token = page.next_token
                if not token:
                    break
            if len(placed) >= replicas:
                break
        unplaced = replicas - len(placed)
        plans = self._plans(profile, q, {c.hw_class for c, _ in ordered}) if unplaced else []
        how = "one per node" if spread else "each on its own cards"
        if not placed:
            note = f"no node runs {profile.name} at {q.min_fit} or better"
            if plans:
                note += "; the plans say what would make it fit"
        elif unplaced:
            note = (
                f"{len(placed)} of {replicas} replicas placed: the fleet holds only {capacity} ({how}) on the "
                f"{candidates} nodes that run it at {q.min_fit} or better"
            )
        else:
            note = (
                f"{replicas} replicas placed on {nodes_used} of the {candidates} nodes that run it at {q.min_fit} or "
                f"better ({how}; the fleet holds {capacity})"
            )
        return {
            "model": _model_ref(profile),
            "catalog_version": self.catalog.version,
            "replicas": replicas,
            "spread": spread,
            "min_fit": q.min_fit,
            "candidates": candidates,
            "capacity": capacity,
            "placed": placed,
            "unplaced": unplaced,
            "plans": plans,
            "note": note,
        }

    def _plans(self, profile: Any, q: Listing, qualifying: set[str], keep: int = 3) -> list[dict[str, Any]]:
        """For classes that do not run the model well enough: the smallest change that would (engine plan),
        the classes needing the least memory added first."""
        target = "perfect" if q.min_fit == "perfect" else "good"
        plans = []
        for cls in self.store.classes():
            if cls.nodes <= 0 or cls.hw_class in qualifying or not _hardware_matches(cls.system, q.backend, q.gpu):
                continue
            plan = self.engine.plan(profile, cls.system, self.catalog, **q.options())
            add = next((u["add_gb"] for u in plan["upgrades"] if u["target_fit"] == target), None)
            rank = float("inf") if add is None else add
            plans.append((rank, -cls.nodes, cls.hw_class, {**_class_ref(cls), "add_gb": add, "plan": plan}))
        plans.sort(key=lambda p: p[:3])
        return [p[3] for p in plans[:keep]]


@dataclass(frozen=True)
class _OneReplica:
    """A node's one replica when the engine cannot count more (no card indices known)."""

    fit: Any
    cards: tuple[int, ...] = ()


def gpu_groups(system: System | None) -> list[dict[str, Any]]:
    """A node's GPUs by card model, in its order: what listings show (a 4090 + 3090 node is both cards)."""
    if system is None:
        return []
    return [{"name": g.name, "count": g.count, "vram_gb": round(g.vram_gb, 1)} for g in system.gpus]


def _class_ref(cls: ClassRecord) -> dict[str, Any]:
    s = cls.system
    return {
        "hw_class": cls.hw_class,
        "nodes": cls.nodes,
        "backend": s.backend,
        "gpu_name": s.gpu_name,
        "gpu_count": s.gpu_count,
        "gpu_vram_gb": s.gpu_vram_gb,
        "gpus": gpu_groups(s),
        "total_ram_gb": s.total_ram_gb,
        "available_ram_gb": s.available_ram_gb,
    }


def _hardware_matches(system: System, backend: str | None, gpu: str | None) -> bool:
    """`backend`: the class's backend starts with it (any case: "cpu" is every CPU backend); `gpu`: one of
    its cards' names contains it (any case: "4090", "h100")."""
    if backend and not system.backend.lower().startswith(backend.strip().lower()):
        return False
    if gpu:
        wanted = gpu.strip().lower()
        names = [g.name.lower() for g in system.gpus] + [(system.gpu_name or "").lower()]
        if not any(wanted in n for n in names if n):
            return False
    return True


def _signature(version: str, model: str, q: Listing) -> str:
    text = json.dumps(
        [version, model, q.min_fit, q.quant, q.max_context, q.backend, q.gpu, q.include_stale, q.sort, q.kv_quant]
        + [q.prompt_tokens]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
