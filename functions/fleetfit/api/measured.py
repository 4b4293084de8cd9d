"""What the fleet measured, in the API: a node's runtimes and served models (llmfit's /api/v1/runtimes and
/api/v1/installed), and the Model objects' ``installed``, ``measured_tps`` and calibrated speed.

Measurements come only from the latest report of each node, so a node whose hardware changed speaks for
its new hardware only. Corrections come from the nodes of the same hardware class (a store index read),
are fitted by ``engine.calibration`` and are kept per class and catalog version for CACHE_S seconds.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fleetfit.api.services import Services
from fleetfit.api.telemetry import logger
from fleetfit.contract import Report, RuntimeInfo, ServedModel
from fleetfit.engine.calibration import (
    BACKEND_OF_RUNTIME,
    Calibration,
    Correction,
    Measurement,
    Served,
    apply,
    calibrate,
    corrected_tps,
    run_shape,
    speed_class,
)
from fleetfit.store import StoredReport, StoreError

CACHE_S = 300  # a class's correction is refitted at most this often per process
PEERS = 200  # nodes of a class read to fit its correction (one index page)
MEASURING_PEERS = 64  # of those, the measuring nodes the correction is fitted from
ROWS_PER_PEER = 4  # and of each, its first served models with a measured rate
KNOWN_RUNTIMES = ("llamacpp", "ollama", "vllm", "sglang", "lmstudio")


@dataclass(frozen=True)
class Row:
    runtime: RuntimeInfo
    model: ServedModel
    entry: str | None
    quant: str | None


def _index(svc: Services) -> Any:
    """The catalog's lineage index (built once per catalog version), or None with a catalog that has no
    entries (a fake engine's)."""
    catalog = svc.catalogs.current()
    cache = svc.caches.setdefault("lineage", {})
    found = cache.get(catalog.version)
    if found is None:
        entries = getattr(catalog, "entries", None)
        if entries is None:
            return None
        from fleetfit.catalog.lineage import LineageIndex

        cache.clear()
        found = cache[catalog.version] = LineageIndex(entries)
    return found


def rows(svc: Services, report: Report) -> list[Row]:
    """Every served model of the report, matched to its catalog entry and quant where it can be."""
    index = _index(svc)
    out = []
    for runtime in report.runtimes:
        for model in runtime.models:
            if index is None:
                out.append(Row(runtime, model, None, model.quant))
                continue
            match = index.match(kind=runtime.kind, name=model.name, file=model.file, repo=model.repo, quant=model.quant)
            out.append(Row(runtime, model, match.entry, match.quant))
    return out


def runtimes_body(stored: StoredReport) -> dict[str, Any]:
    """llmfit's ``{"runtimes": [{"name", "installed"}], "warnings": []}``, with what each runtime serves."""
    found = {r.kind: r for r in stored.report.runtimes}
    runtimes = []
    for kind in (*KNOWN_RUNTIMES, *(k for k in found if k not in KNOWN_RUNTIMES)):
        info = found.get(kind)
        entry: dict[str, Any] = {"name": kind, "installed": info is not None}
        if info is not None:
            entry |= {"version": info.version, "url": info.url, "models": len(info.models)}
        runtimes.append(entry)
    warnings = [] if found else ["the node's latest report names no inference server (none found, or --no-runtimes)"]
    return {
        "node": _node(stored),
        "collected_at": stored.report.collected_at,
        "runtimes": runtimes,
        "warnings": warnings,
    }


def installed_body(svc: Services, stored: StoredReport) -> dict[str, Any]:
    """llmfit's ``{"models": [{"name", "runtime"}], "warnings": []}``, with the catalog match and rates."""
    models, warnings = [], []
    for row in rows(svc, stored.report):
        m = row.model
        models.append({
            "name": m.name,
            "runtime": row.runtime.kind,
            "catalog_name": row.entry,
            "matched": row.entry is not None,
            "quant": row.quant,
            "file": m.file,
            "repo": m.repo,
            "loaded": m.loaded,
            "context": m.context,
            "measured_decode_tps": m.measured_decode_tps,
            "measured_prefill_tps": m.measured_prefill_tps,
            "samples": m.samples,
            "measured_at": m.measured_at,
        })  # fmt: skip
        if row.entry is None:
            warnings.append(f"{m.name[:100]} ({row.runtime.kind}) matches no catalog model: shown unmatched")
    if not stored.report.runtimes:
        warnings.append("the node's latest report names no inference server (none found, or --no-runtimes)")
    return {"node": _node(stored), "models": models, "warnings": warnings[:50]}


def _node(stored: StoredReport) -> dict[str, str]:
    return {"name": stored.report.node_id, "os": stored.report.os or "unknown"}


# --- the Model objects -----------------------------------------------------------------------------------


def served(svc: Services, report: Report) -> list[Served]:
    return [
        Served(r.entry, r.quant, r.runtime.kind, r.model.measured_decode_tps)
        for r in rows(svc, report)
        if r.entry is not None
    ]


def class_calibration(svc: Services, stored: StoredReport) -> Calibration:
    """The correction of the node's class from its peers' latest reports (cached per class and catalog)."""
    catalog = svc.catalogs.current()
    key = (stored.hw_class, catalog.version)
    now = svc.now()
    cache: dict[tuple[str, str], tuple[datetime, Calibration]] = svc.caches.setdefault("calibration", {})
    cached = cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    estimate = svc.engine.estimate_tps
    measurements: list[Measurement] = []
    if estimate is not None:
        try:
            page = svc.store.nodes_in_class(stored.hw_class, limit=PEERS)
            peers = svc.store.latest_many([n.node_id for n in page.items])
        except StoreError as exc:
            logger.warning("calibration peers not read", reason=str(exc))
            peers = {}
        measuring = [p for _, p in sorted(peers.items()) if p.report.runtimes][:MEASURING_PEERS]
        for peer in measuring:
            measurements += _measurements(svc, peer, estimate)[:ROWS_PER_PEER]
    calibration = calibrate(measurements)
    if len(cache) > 1000:
        cache.clear()
    cache[key] = (now + timedelta(seconds=CACHE_S), calibration)
    return calibration


def _measurements(svc: Services, peer: StoredReport, estimate: Any) -> list[Measurement]:
    system = peer.report.system
    klass = speed_class(system)
    out = []
    for row in rows(svc, peer.report):
        rate = row.model.measured_decode_tps
        if row.entry is None or row.quant is None or not rate:
            continue
        found = estimate(system, svc.catalogs.current(), row.entry, row.quant)
        if found is None:
            continue
        physics, shape = found
        backend = BACKEND_OF_RUNTIME.get(row.runtime.kind, row.runtime.kind)
        out.append(Measurement(peer.report.node_id, klass, backend, row.entry, row.quant, rate, physics, shape))
    return out


def annotate(svc: Services, stored: StoredReport, body: str, *, calibration: bool, by_tps: bool = False) -> str:
    """The envelope with each Model object's installed / measured / calibrated speed. Untouched (the same
    bytes) when the node serves nothing and its class has no correction that applies."""
    mine = served(svc, stored.report)
    fitted = class_calibration(svc, stored) if calibration else Calibration()
    klass = speed_class(stored.report.system)
    reported = bool(stored.report.runtimes)  # the probe found inference servers: installed is known
    if not mine and not fitted.rows_of:
        return _not_installed(body) if reported else body
    if not mine and (fitted.uniform() or not by_tps):  # the order holds: patch each row's text (12k rows)
        patched = _patch_rows(body, lambda name, quant, shape: fitted.get(klass, "llamacpp", name, quant, shape))
        if patched is not None:
            return _not_installed(patched) if reported else patched
    envelope = json.loads(body)
    models = envelope.get("models", [])
    for model in models:
        shape = run_shape(model["run_mode"], bool(model.get("is_moe")))
        correction = fitted.get(klass, "llamacpp", model["name"], model["best_quant"], shape)
        apply(model, mine, correction, calibration=calibration, reported=reported)
    if by_tps:  # the page keeps the engine's choice of rows; within it, measured and calibrated speeds decide
        models.sort(key=lambda m: (m["fit_level"] == "too_tight", -m["estimated_tps"], -m["score"], m["name"].lower()))
    return json.dumps(envelope, separators=(",", ":"))


def _not_installed(body: str) -> str:
    """Every row's installed null -> false: the node reported its runtimes and none serves these models.
    Inside a JSON string every '"' is escaped, so the key text is found only as the key."""
    return body.replace('"installed":null', '"installed":false')


SPEED_RANK = {"measured": 0, "calibrated": 1, "estimated": 2}


def fleet_speeds(svc: Services, answer: dict[str, Any], *, calibration: bool, rows: str = "nodes") -> dict[str, Any]:
    """``fleet which``'s nodes with the best figure known for each: this node's measurement of the model at
    the class's quant (``measured``), else its class's fleet correction (``calibrated``), else physics
    (``estimated``); ``physics_tps`` keeps the physics figure, ``measured_tps`` what the node measured. With
    sort=tps the page is reordered by the figures shown (faster first; measured before calibrated before
    estimated on a tie); other sorts keep their order. One store read for the page's latest reports.
    ``rows="placed"``: the same for a placement's replicas (their order and numbers stay: placement picks
    classes by fit, then physics speed)."""
    nodes = answer.get(rows, [])
    if not nodes:
        return answer
    name = answer["model"]["name"]
    find = getattr(svc.catalogs.current(), "find", None)
    entry = find(name) if find is not None else None
    is_moe = bool(entry.get("moe")) if isinstance(entry, dict) else False
    try:
        latest = svc.store.latest_many(list(dict.fromkeys(n["node_id"] for n in nodes)))
    except StoreError as exc:
        logger.warning("fleet speeds not read", reason=str(exc))
        latest = {}
    for node in nodes:
        physics = float(node["estimated_tps"])
        node.update(speed_source="estimated", physics_tps=physics, measured_tps=None)
        stored = latest.get(node["node_id"])
        if stored is None:
            continue
        rates = [s.decode_tps for s in served(svc, stored.report) if s.model == name and s.quant == node["best_quant"]]
        rates = [r for r in rates if r]
        if rates:
            measured = round(statistics.median(rates), 1)
            node["measured_tps"] = measured
            if calibration:
                node.update(speed_source="measured", estimated_tps=measured)
            continue
        if not calibration or physics <= 0:
            continue
        shape = run_shape(node["run_mode"], is_moe)
        klass = speed_class(stored.report.system)
        correction = class_calibration(svc, stored).get(klass, "llamacpp", name, node["best_quant"], shape)
        if correction is not None:
            node.update(speed_source="calibrated", estimated_tps=corrected_tps(physics, correction))
            node["calibration"] = correction.basis(physics)
    if rows == "nodes" and answer.get("filters", {}).get("sort") == "tps":
        nodes.sort(key=lambda n: (-n["estimated_tps"], SPEED_RANK[n["speed_source"]], n["node_id"]))
    return answer


_NAME = re.compile(r'^\{"name":("(?:[^"\\]|\\.)*")')
_QUANT = re.compile(r'"best_quant":"([^"]+)"')
_MODE = re.compile(r'"run_mode":"([a-z_]+)"')
_MOE = re.compile(r'"is_moe":(true|false)')
_TPS = re.compile(r'"estimated_tps":([-\d.eE+]+),')
_FULL = re.compile(r'"estimated_tps_full_context":([-\d.eE+]+)')
_PHYSICS = '"source":"estimated","calibration":null'
_TAIL = re.compile(r'^\](,"catalog_version":("[^"]*"|null))?\}$')


def _patch_rows(body: str, correction_for: Callable[[str, str, str], Correction | None]) -> str | None:
    """``apply`` for calibrated rows, on the engine's JSON text: the same result as parsing, applying and
    dumping (tests compare both), at a tenth of the cost. None when the text is not laid out as the engine
    writes it (the caller then takes the parsing path)."""
    start = body.find('"models":[')
    end = body.rfind("]")
    if start < 0 or end < start or not _TAIL.match(body[end:]):
        return None
    head, rows_text = body[: start + 10], body[start + 10 : end]
    if not rows_text:
        return body
    rows = rows_text.split(',{"name":')  # a row starts so; inside a JSON string every '"' is escaped
    out = []
    for i, row in enumerate(rows):
        row = row if i == 0 else '{"name":' + row
        name, quant, tps = _NAME.match(row), _QUANT.search(row), _TPS.search(row)
        mode, moe = _MODE.search(row), _MOE.search(row)
        if name is None or quant is None or tps is None or mode is None or moe is None:
            return None
        shape = run_shape(mode.group(1), moe.group(1) == "true")
        correction = correction_for(json.loads(name.group(1)), quant.group(1), shape)
        if correction is not None:
            patched = _calibrated(row, tps, correction)
            if patched is None:
                return None
            row = patched
        out.append(row)
    return head + ",".join(out) + body[end:]


def _calibrated(row: str, tps: re.Match[str], correction: Correction) -> str | None:
    physics = float(tps.group(1))
    full = _FULL.search(row)
    notes_end = row.find('],"gguf_sources":')
    if full is None or notes_end < 0 or row.count(_PHYSICS) != 1:
        return None
    basis = correction.basis(physics)
    note = json.dumps(correction.note())
    row = row[:notes_end] + ("," if row[notes_end - 1] != "[" else "") + note + row[notes_end:]
    row = row.replace(_PHYSICS, '"source":"calibrated","calibration":' + json.dumps(basis, separators=(",", ":")))
    full = _FULL.search(row)
    assert full is not None
    row = row[: full.start(1)] + repr(round(float(full.group(1)) * correction.factor, 1)) + row[full.end(1) :]
    tps_now = _TPS.search(row)
    assert tps_now is not None
    return row[: tps_now.start(1)] + repr(corrected_tps(physics, correction)) + row[tps_now.end(1) :]
