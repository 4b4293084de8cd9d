"""Where the catalog comes from: the bundled file, or an S3 object refreshed with conditional GETs.

The S3 source loads once per container, then at most every ``refresh_s`` asks S3 whether the object
changed (``If-None-Match`` with the last ETag; a 304 costs almost nothing). A missing, unreadable or
invalid object never replaces the last good catalog; with none loaded yet, the bundled catalog stands in
and that is logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from fleetfit.api.engine_port import CatalogLike, EnginePort
from fleetfit.api.heap import settle_heap
from fleetfit.api.models import CatalogInfo
from fleetfit.api.telemetry import catalog_loaded, logger


class CatalogSource(Protocol):
    def current(self) -> CatalogLike: ...

    def info(self) -> CatalogInfo: ...


class BundledCatalogs:
    def __init__(self, engine: EnginePort) -> None:
        self._engine = engine
        self._announced = False

    def current(self) -> CatalogLike:
        catalog = self._engine.load_bundled()  # cached per process by the catalog package
        if not self._announced:
            self._announced = True
            catalog_loaded(catalog.version, "bundled")
        return catalog

    def info(self) -> CatalogInfo:
        c = self.current()
        return CatalogInfo(
            version=c.version, models=len(c), loaded_from=c.loaded_from, source="bundled", checked_at=None
        )


class S3Catalogs:
    def __init__(
        self,
        engine: EnginePort,
        *,
        bucket: str,
        key: str,
        client: Any = None,
        refresh_s: float = 300.0,
        max_bytes: int = 64 * 1024 * 1024,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if client is None:
            from fleetfit.store.boto import client as aws_client

            client = aws_client("s3")
        self._engine = engine
        self._client = client
        self.bucket, self.key = bucket, key
        self._refresh_s = refresh_s
        self._max_bytes = max_bytes
        self._monotonic = monotonic
        self._catalog: CatalogLike | None = None
        self._source = "bundled"
        self._etag: str | None = None
        self._next_check = 0.0
        self._checked_at: datetime | None = None

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def current(self) -> CatalogLike:
        if self._catalog is None or self._monotonic() >= self._next_check:
            self._refresh()
        assert self._catalog is not None
        return self._catalog

    def info(self) -> CatalogInfo:
        c = self.current()
        return CatalogInfo(
            version=c.version,
            models=len(c),
            loaded_from=c.loaded_from,
            source=self._source,
            checked_at=self._checked_at,
        )

    def refresh_now(self) -> None:
        """Ask S3 now rather than at the next scheduled check (a catalog was just published)."""
        self._next_check = 0.0
        self.current()

    def _refresh(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        self._next_check = self._monotonic() + self._refresh_s
        self._checked_at = datetime.now(UTC)
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key}
        if self._etag is not None:
            kwargs["IfNoneMatch"] = self._etag
        try:
            obj = self._client.get_object(**kwargs)
            size = int(obj.get("ContentLength") or 0)
            if size > self._max_bytes:
                obj["Body"].close()
                raise ValueError(f"object is {size} bytes, over the {self._max_bytes}-byte limit")
            data = obj["Body"].read(self._max_bytes + 1)  # bounded even when S3 sent no ContentLength
            if len(data) > self._max_bytes:
                obj["Body"].close()
                raise ValueError(f"object is over the {self._max_bytes}-byte limit")
            catalog = self._engine.load_catalog_bytes(data, self.location)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("304", "NotModified") or status == 304:
                return
            self._keep_last_good(f"S3 answered {code or status}")
            return
        except BotoCoreError as exc:
            self._keep_last_good(f"S3 unreachable ({type(exc).__name__})")
            return
        except (self._engine.catalog_error, ValueError) as exc:
            self._keep_last_good(f"the object is not a valid catalog: {exc}")
            return
        except MemoryError:  # an object that inflates past what this container holds
            self._keep_last_good("loading the object ran out of memory")
            return
        previous = None if self._catalog is None else self._catalog.version
        self._catalog, self._source, self._etag = catalog, "s3", obj.get("ETag")
        if catalog.version != previous:
            logger.info("catalog loaded", catalog_version=catalog.version, models=len(catalog), source=self.location)
            catalog_loaded(catalog.version, "s3")

    def _keep_last_good(self, why: str) -> None:
        if self._catalog is not None:
            logger.warning(
                "catalog refresh failed; keeping the last good catalog",
                reason=why,
                source=self.location,
                catalog_version=self._catalog.version,
            )
            return
        self._catalog, self._source = self._engine.load_bundled(), "bundled"
        logger.warning(
            "catalog from S3 unavailable; using the bundled catalog",
            reason=why,
            source=self.location,
            catalog_version=self._catalog.version,
        )
        catalog_loaded(self._catalog.version, "bundled")


def precompute_digests(svc: Any, *, budget_s: float, version: str | None = None) -> dict[str, Any]:
    """After a catalog is published: load it now and compute every class's digest of it (fresh classes with
    nodes, those without one for this version), within ``budget_s``, so that the first fleet summaries after
    a publish read digests instead of each spending its own evaluation budget. Classes left when the budget
    runs out (``pending``) are computed by the next hop of the chain (api/digest_chain.py) or by the summary.
    ``version``: the catalog a continuation works for; if the catalog in use is another (a newer publish,
    which has its own chain), nothing is computed and the answer names it ``superseded``."""
    from fleetfit.api.app import _fleet

    refresh = getattr(svc.catalogs, "refresh_now", None)
    if refresh is not None:
        refresh()
    in_use = svc.catalogs.current().version
    if version is not None and in_use != version:
        return {"catalog_version": in_use, "computed": 0, "pending": 0, "classes": 0, "superseded": version}
    if svc.engine.fleet is None:
        return {"catalog_version": in_use, "computed": 0, "pending": 0, "classes": 0}
    fleet = _fleet(svc)
    version = fleet.catalog.version
    classes = [c for c in svc.store.classes(digests=True) if c.nodes > 0]
    missing = [c for c in classes if c.digest_version != version]
    # each class's ranking stays in the LRU: settling the heap after each keeps the next ones' collections short
    found = fleet.digests_within(missing, budget_s, after_each=settle_heap)
    computed, pending = len(found), len(missing) - len(found)
    logger.info("class digests precomputed", catalog_version=version, computed=computed, pending=pending)
    return {"catalog_version": version, "computed": computed, "pending": pending, "classes": len(classes)}
