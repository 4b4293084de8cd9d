"""The fit engine and catalog as the API sees them: a handful of callables, so tests can swap in a fake."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from fleetfit.contract import Envelope, System


class CatalogLike(Protocol):
    version: str
    loaded_from: str

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class EnginePort:
    parse_query: Callable[..., Any]  # (params: Mapping[str, str], *, route, name=None) -> Query
    fit_envelope: Callable[..., Envelope]  # (system, catalog, query, node, *, evaluate_as=None)
    query_error: type[Exception]
    load_bundled: Callable[[], CatalogLike]
    load_catalog_bytes: Callable[[bytes, str], CatalogLike]
    catalog_error: type[Exception]
    # The same envelope already serialised (the engine writes its rows straight to JSON: about twice as
    # fast as building the pydantic Envelope and dumping it). None: the API dumps fit_envelope's result.
    # Both take `evaluate_as=` (a System to analyse instead of the echoed one).
    envelope_json: Callable[..., str] | None = None
    # A node's hardware class as a System (engine.fleet.class_system); None: analyse nodes as reported.
    class_system: Callable[[System], System] | None = None
    # What the fleet-wide routes need (fleetfit.fleet.service.FleetEngine); None: those routes answer 501.
    fleet: Any = None
    # (system, catalog, model, quant) -> (physics decode tok/s at that quant, its run shape
    # (engine.calibration.run_shape)), or None when the engine cannot say (unknown model or quant): what
    # fleet measurements are compared with. None: no calibration.
    estimate_tps: Callable[[System, Any, str, str], tuple[float, str] | None] | None = None
    # (system, query) -> the System the query analyses: a copy with llmfit's ram_gb / vram_gb / cpu_cores
    # applied (engine.whatif). None: the engine takes no what-if parameters.
    what_if: Callable[[System, Any], System] | None = None
    # (system, catalog, PlanRequest as a dict) -> the plan (engine.plan.plan_request); None: POST .../plan 501.
    plan: Callable[[System, Any, dict[str, Any]], dict[str, Any]] | None = None

    def query(self, params: Mapping[str, str], route: str, name: str | None = None) -> Any:
        return self.parse_query(params, route=route, name=name)


def real_engine() -> EnginePort:
    from fleetfit.catalog import BUNDLED_DIGEST_PATH, CatalogError, load_bundled, load_catalog_bytes
    from fleetfit.engine import QueryError, envelope_json, fit_envelope, parse_query
    from fleetfit.engine.calibration import run_shape
    from fleetfit.engine.fleet import class_system
    from fleetfit.engine.plan import plan_request
    from fleetfit.engine.query import fit_rows, what_if_system
    from fleetfit.fleet.service import real_fleet_engine

    trusted = BUNDLED_DIGEST_PATH.read_text(encoding="ascii").strip() if BUNDLED_DIGEST_PATH.exists() else None

    def load_published(data: bytes, source: str) -> CatalogLike:
        """A published object byte-identical to the bundled file (validated when it was built and shipped
        with this code) is the bundled catalog, loaded once per process with its parsed document and the
        engine's prepared invariants; any other object is validated in full, and its profiles are built."""
        if trusted is not None and hashlib.sha256(data).hexdigest() == trusted:
            return replace(load_bundled(), loaded_from=source)
        return load_catalog_bytes(data, source)

    def estimate_tps(system: System, catalog: Any, model: str, quant: str) -> tuple[float, str] | None:
        try:
            query = parse_query({"quant": quant, "min_fit": "too_tight"}, route="models", name=model)
        except QueryError:
            return None
        found = [fit for fit in fit_rows(system, catalog, query) if fit.name == model]
        if not found:
            return None
        fit = found[0]
        return float(fit.estimated_tps), run_shape(fit.placement.mode, fit.profile.moe is not None)

    return EnginePort(
        parse_query=parse_query,
        fit_envelope=fit_envelope,
        query_error=QueryError,
        load_bundled=load_bundled,
        load_catalog_bytes=load_published,
        catalog_error=CatalogError,
        envelope_json=envelope_json,
        class_system=class_system,
        fleet=real_fleet_engine(),
        estimate_tps=estimate_tps,
        what_if=what_if_system,
        plan=plan_request,
    )
