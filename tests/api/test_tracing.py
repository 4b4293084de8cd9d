"""X-Ray through Powertools' Tracer: the handler, every store call and the catalog's S3 read are
subsegments, the handler's segment is annotated with route and status, and no body reaches a trace."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment
from fleetfit.api import telemetry
from fleetfit.store.samples import sample_report

from .support import Call, node_identity


class _Segment(BaseSegment):
    def __init__(self, name: str, log: list[tuple[str, Any]]) -> None:
        self.name, self._log = name, log

    def close(self, end_time: int | None = None) -> None: ...
    def add_subsegment(self, subsegment: Any) -> None: ...
    def remove_subsegment(self, subsegment: Any) -> None: ...

    def put_annotation(self, key: str, value: Any) -> None:
        self._log.append(("annotation", (key, value)))

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self._log.append(("metadata", (key, value)))

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None: ...


class Recorder(BaseProvider):
    """A provider of the X-Ray provider's shape that records what a trace would hold."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []

    @contextlib.contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Iterator[BaseSegment]:
        self.log.append(("subsegment", name))
        yield _Segment(str(name), self.log)

    def in_subsegment_async(self, name: Any = None, **kwargs: Any) -> Any:
        raise NotImplementedError

    def put_annotation(self, key: str, value: Any) -> None:
        self.log.append(("annotation", (key, value)))

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.log.append(("metadata", (key, value)))

    def patch(self, modules: Any) -> None: ...
    def patch_all(self) -> None: ...


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    telemetry.use_tracer(Tracer(service="fleetfit-api", disabled=False, auto_patch=False, provider=rec))
    yield rec
    telemetry.use_tracer(None)


def test_handler_store_and_catalog_calls_are_subsegments(call: Call, recorder: Recorder) -> None:
    r = call("POST", "/api/v1/reports", body=sample_report("i-0abc").model_dump(mode="json"),
             identity=node_identity("i-0abc"))  # fmt: skip
    assert r.status == 201
    names = [name for kind, name in recorder.log if kind == "subsegment"]
    assert names[0] == "## handler"
    assert "## store.put_report" in names
    annotations = dict(value for kind, value in recorder.log if kind == "annotation")
    assert annotations["status"] == 201 and annotations["method"] == "POST"
    recorder.log.clear()
    call("GET", "/api/v1/nodes")
    # the node rows name each class's cards from the class registry (one read per page)
    assert [n for k, n in recorder.log if k == "subsegment"] == [
        "## handler",
        "## store.list_nodes",
        "## store.list_classes",
    ]
    assert not [v for k, v in recorder.log if k == "metadata"], "no response or body as trace metadata"


def test_the_catalog_s3_read_is_a_subsegment(lambda_services: Any, recorder: Recorder) -> None:
    lambda_services.catalogs._next_check = 0.0  # due for its conditional GET
    lambda_services.catalogs.current()
    assert ("subsegment", "## catalog._refresh") in recorder.log


def test_without_x_ray_nothing_is_traced(call: Call) -> None:
    telemetry.use_tracer(None)
    assert telemetry.tracer() is None  # aws-xray-sdk is not installed here, as on `fleetfit serve`
    assert call("GET", "/api/v1/nodes").status == 200
