"""The S3 catalog: loaded once, refreshed by conditional GET, never replaced by a bad object."""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from typing import Any

import pytest
from fleetfit.api.catalogs import S3Catalogs

from .support import BUCKET, CATALOG_KEY, FAKE_ENGINE, fake_catalog_bytes


class Ticker:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Counting:
    """Wraps the S3 client and counts get_object calls by outcome."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def get_object(self, **kwargs: Any) -> Any:
        self.calls.append("conditional" if "IfNoneMatch" in kwargs else "plain")
        return self.client.get_object(**kwargs)


@pytest.fixture
def s3(aws: dict[str, Any]) -> Any:
    return aws["s3"]


def _source(s3: Any, ticker: Ticker) -> tuple[S3Catalogs, Counting]:
    counting = Counting(s3)
    src = S3Catalogs(FAKE_ENGINE, bucket=BUCKET, key=CATALOG_KEY, client=counting, refresh_s=300, monotonic=ticker)
    return src, counting


def test_loads_once_then_conditional_gets_and_picks_up_a_new_object(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=fake_catalog_bytes(("a/one", "b/two")))
    ticker = Ticker()
    src, counting = _source(s3, ticker)
    first = src.current()
    assert len(first) == 2 and src.info().source == "s3"
    for _ in range(50):
        assert src.current() is first
    assert counting.calls == ["plain"]
    ticker.t += 301
    assert src.current() is first  # unchanged object: 304, same catalog
    assert counting.calls == ["plain", "conditional"]
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=fake_catalog_bytes(("a/one", "b/two", "c/three")))
    ticker.t += 301
    assert len(src.current()) == 3


def test_missing_object_falls_back_to_bundled_and_says_so(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    src, _ = _source(s3, Ticker())
    catalog = src.current()
    assert catalog is FAKE_ENGINE.load_bundled()
    assert src.info().source == "bundled"
    assert "bundled" in caplog.text


def test_invalid_object_never_replaces_the_last_good(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=fake_catalog_bytes(("a/one",)))
    ticker = Ticker()
    src, _ = _source(s3, ticker)
    good = src.current()
    for bad in (b"not gzip at all", gzip.compress(b'{"nope": 1}')):
        s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=bad)
        ticker.t += 301
        assert src.current() is good
    s3.delete_object(Bucket=BUCKET, Key=CATALOG_KEY)
    ticker.t += 301
    assert src.current() is good
    assert "keeping the last good catalog" in caplog.text


def test_invalid_object_at_cold_start_uses_bundled(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=b"\x1f\x8bgarbage")
    src, _ = _source(s3, Ticker())
    assert src.current() is FAKE_ENGINE.load_bundled()


def test_real_catalog_bytes_load_through_the_real_engine(engine: Any, catalog_bytes: bytes) -> None:
    catalog = engine.load_catalog_bytes(catalog_bytes, "s3://b/k")
    assert len(catalog) > 0 and catalog.loaded_from == "s3://b/k"
    assert catalog.version == engine.load_bundled().version or engine is FAKE_ENGINE


def test_published_bundled_bytes_come_with_the_shipped_invariants(engine: Any, catalog_bytes: bytes) -> None:
    # The S3 object a deployment publishes is usually the bundled file: its prepared invariants and parsed
    # document ship with the code, so a cold container neither parses the JSON nor builds 12k profiles.
    if engine is FAKE_ENGINE:
        pytest.skip("the fake engine has no invariants")
    from fleetfit.engine import prepared

    catalog = engine.load_catalog_bytes(catalog_bytes, "s3://b/k")
    bundled = engine.load_bundled()
    assert catalog.loaded_from == "s3://b/k" and catalog.version == bundled.version
    assert catalog.entries == bundled.entries and catalog.invariants == bundled.invariants
    assert prepared.profiles_of(catalog.invariants, catalog) is not None
    # Any other object has none: its profiles are built from its own entries.
    doc = json.loads(gzip.decompress(catalog_bytes))
    doc["models"] = doc["models"][:50]
    other = engine.load_catalog_bytes(gzip.compress(json.dumps(doc).encode()), "s3://b/k")
    assert len(other) == 50 and other.invariants == b""


def test_only_the_bundled_bytes_skip_validation(engine: Any, catalog_bytes: bytes) -> None:
    import json as _json

    if engine is FAKE_ENGINE:
        pytest.skip("the fake engine has no validation")
    doc = _json.loads(gzip.decompress(catalog_bytes))
    doc["models"][0]["name"] = 12345  # valid JSON, wrong type: must be caught, not trusted
    with pytest.raises(engine.catalog_error):
        engine.load_catalog_bytes(gzip.compress(_json.dumps(doc).encode()), "s3://b/k")


# -- a gzip bomb in the catalog object (issue 11): decompression is bounded, MemoryError keeps the last good ----
def _gzip_bomb(decompressed_mib: int) -> bytes:
    """Zeros that inflate to `decompressed_mib` MiB, built in chunks (the test never holds them)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    chunk = b"\0" * (1024 * 1024)
    parts = [packer.compress(chunk) for _ in range(decompressed_mib)]
    return b"".join(parts) + packer.flush()


def test_a_gzip_bomb_is_refused_without_inflating_it(engine: Any) -> None:
    import tracemalloc

    from fleetfit.catalog import MAX_CATALOG_JSON_BYTES

    bomb = _gzip_bomb(MAX_CATALOG_JSON_BYTES // 2**20 + 64)
    assert len(bomb) < 2 * 1024 * 1024  # small on the wire: only the inflated size gives it away
    tracemalloc.start()
    try:
        with pytest.raises(engine.catalog_error, match="inflates past"):
            engine.load_catalog_bytes(bomb, "s3://b/k")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_CATALOG_JSON_BYTES + 32 * 2**20


class _ExhaustedEngine:
    """The engine's shape, with a loader that runs out of memory (what an unbounded inflate did)."""

    def __init__(self) -> None:
        self.catalog_error = FAKE_ENGINE.catalog_error
        self.load_bundled = FAKE_ENGINE.load_bundled
        self.fail = False

    def load_catalog_bytes(self, data: bytes, source: str) -> Any:
        if self.fail:
            raise MemoryError
        return FAKE_ENGINE.load_catalog_bytes(data, source)


def test_memory_error_while_loading_keeps_the_last_good(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=fake_catalog_bytes(("a/one",)))
    ticker, engine = Ticker(), _ExhaustedEngine()
    src = S3Catalogs(engine, bucket=BUCKET, key=CATALOG_KEY, client=s3, refresh_s=300, monotonic=ticker)  # type: ignore[arg-type]
    good = src.current()
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=fake_catalog_bytes(("a/one", "b/two")))
    engine.fail = True
    ticker.t += 301
    assert src.current() is good
    assert "keeping the last good catalog" in caplog.text


class _NoLength:
    """An S3 client whose answers carry no ContentLength: the body read must still be bounded."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get_object(self, **kwargs: Any) -> Any:
        obj = dict(self.client.get_object(**kwargs))
        obj.pop("ContentLength", None)
        return obj


def test_an_object_without_a_length_is_still_bounded(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=fake_catalog_bytes(("a/one",)) + b"\0" * 4096)
    src = S3Catalogs(FAKE_ENGINE, bucket=BUCKET, key=CATALOG_KEY, client=_NoLength(s3), max_bytes=1024)
    assert src.current() is FAKE_ENGINE.load_bundled() and src.info().source == "bundled"
