from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from probe_fakes import FakeTime, IngestServer


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server() -> Iterator[IngestServer]:
    ingest = IngestServer().start()
    yield ingest
    ingest.stop()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text("s3cr3t-t0ken-value-0123456789\n")
    path.chmod(0o600)
    return path
