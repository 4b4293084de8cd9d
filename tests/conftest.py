"""Fixtures for every test: no test may reach real AWS."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a fixed region: boto3 talks to moto, never to an account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "fleetfit")


@pytest.fixture(autouse=True)
def _heap_thawed() -> Iterator[None]:
    """A request that builds a ranking freezes the heap (fleetfit.api.heap.settle_heap); thaw it after each test,
    so that a test's own cyclic objects (moto backends, clients) are collected once it ends."""
    yield
    gc.unfreeze()
