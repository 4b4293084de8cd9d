"""What the routes work with: settings, the store, the catalog source and the engine — built once per
process from the environment, or handed in by the local server and by tests (``configure``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fleetfit.api.catalogs import BundledCatalogs, CatalogSource, S3Catalogs
from fleetfit.api.engine_port import EnginePort, real_engine
from fleetfit.api.settings import Settings
from fleetfit.store import Store


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: Store
    catalogs: CatalogSource
    engine: EnginePort
    now: Callable[[], datetime] = field(default=_utcnow)
    caches: dict[str, Any] = field(default_factory=dict)  # per-process memos of derived data (api.measured)
    events: Any = None  # the EventBridge client, built on first use (api/digest_chain.py)


def build_services(
    settings: Settings,
    *,
    engine: EnginePort | None = None,
    dynamodb_client: Any = None,
    s3_client: Any = None,
    events_client: Any = None,
    store: Store | None = None,
) -> Services:
    engine = engine or real_engine()
    if store is None:
        if settings.table_name:
            from fleetfit.store.dynamodb import DynamoStore

            store = DynamoStore(settings.table_name, client=dynamodb_client, history_days=settings.history_days)
        else:
            from fleetfit.store.sqlite import SqliteStore, default_db_path

            store = SqliteStore(settings.db_path or default_db_path(), history_days=settings.history_days)
    catalogs: CatalogSource
    if settings.catalog_bucket:
        catalogs = S3Catalogs(
            engine,
            bucket=settings.catalog_bucket,
            key=settings.catalog_key,
            client=s3_client,
            refresh_s=settings.catalog_refresh_s,
            max_bytes=settings.catalog_max_bytes,
        )
    else:
        catalogs = BundledCatalogs(engine)
    from fleetfit.api.telemetry import STORE_METHODS, trace_methods

    trace_methods(store, "store", STORE_METHODS)  # X-Ray subsegments where a tracer is active
    trace_methods(catalogs, "catalog", ("_refresh",))
    return Services(settings=settings, store=store, catalogs=catalogs, engine=engine, events=events_client)


_current: dict[str, Services] = {}


def configure(services: Services | None) -> None:
    """Use ``services`` for every following request (None: rebuild from the environment on next use)."""
    _current.pop("s", None)
    if services is not None:
        _current["s"] = services


def current() -> Services:
    if "s" not in _current:
        _current["s"] = build_services(Settings.from_env())
    return _current["s"]
