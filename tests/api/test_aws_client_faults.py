"""The AWS clients inside a 29 s API: explicit timeouts, standard retries with a small maximum, and
throttling answered as 503 with Retry-After. Faults are injected at the boto3 seam: botocore's Stubber, and
a `before-send` hook that answers in place of DynamoDB so the real retry machinery runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from fleetfit.api.catalogs import S3Catalogs
from fleetfit.store.boto import MAX_ATTEMPTS
from fleetfit.store.dynamodb import DynamoStore
from fleetfit.store.samples import sample_report

from .support import TABLE, Call, node_identity


def test_clients_have_explicit_timeouts_and_standard_retries(engine: Any) -> None:
    store = DynamoStore("t")
    catalogs = S3Catalogs(engine, bucket="b", key="k")
    for client, read in ((store.client, 2), (catalogs._client, 5)):
        config = client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (1, read)
        assert config.retries == {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}
    assert MAX_ATTEMPTS <= 3


def test_the_events_client_fits_in_the_margin_a_digest_hop_leaves(lambda_services: Any) -> None:
    """The continuation's PutEvents (api/digest_chain.py), built on first use like the others, at its worst
    (every attempt timing out, the most backoff) ends inside PUBLISH_MARGIN_S with a second to spare."""
    from fleetfit.api.digest_chain import events_client
    from fleetfit.api.handler import PUBLISH_MARGIN_S

    assert lambda_services.events is None
    config = events_client(lambda_services).meta.config
    assert events_client(lambda_services) is lambda_services.events  # one client per process
    attempts = config.retries["total_max_attempts"]
    assert config.retries["mode"] == "standard" and attempts <= 2
    worst = attempts * (config.connect_timeout + config.read_timeout) + (attempts - 1) * 1.0
    assert worst + 1.0 <= PUBLISH_MARGIN_S


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"]
)
def test_throttled_reads_are_503_with_retry_after(call: Call, lambda_services: Any, code: str) -> None:
    with Stubber(lambda_services.store.client) as stub:
        stub.add_client_error("query", service_error_code=code, http_status_code=400)
        r = call("GET", "/api/v1/nodes")
    assert r.status == 503 and "retry" in r.body["error"]
    assert int(r.headers["Retry-After"]) > 0
    assert code not in json.dumps(r.body)  # the store's internals stay in the log


def test_a_throttled_ingest_is_503_with_retry_after_and_the_retry_stores_it(call: Call, lambda_services: Any) -> None:
    body = sample_report("i-0abc").model_dump(mode="json")
    with Stubber(lambda_services.store.client) as stub:
        stub.add_client_error("transact_write_items", service_error_code="ThrottlingException", http_status_code=400)
        for op in ("get_item", "query"):  # whatever the ingest reads first is throttled too
            stub.add_client_error(op, service_error_code="ThrottlingException", http_status_code=400)
        r = call("POST", "/api/v1/reports", body=body, identity=node_identity("i-0abc"))
    assert r.status == 503 and int(r.headers["Retry-After"]) > 0
    again = call("POST", "/api/v1/reports", body=body, identity=node_identity("i-0abc"))
    assert again.status == 201


class _Throttle:
    """Answers the first ``times`` DynamoDB requests with a throttling error, before they leave the client."""

    def __init__(self, times: int) -> None:
        self.times, self.sent = times, 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.sent += 1
        if self.sent > self.times:
            return None  # on to moto
        body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow down"})
        raw = _Raw(body.encode())
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, raw)


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data

    def read(self, *_: Any) -> bytes:
        return self._data


@pytest.fixture
def configured_store(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> DynamoStore:
    """The store exactly as the Lambda builds it (fleetfit.store.boto), talking to moto; no real sleeping."""
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0.0)
    return DynamoStore(TABLE)


def _throttle(store: DynamoStore, times: int) -> _Throttle:
    hook = _Throttle(times)
    store.client.meta.events.register_first("before-send.dynamodb", hook)
    return hook


def test_standard_retries_ride_out_a_short_throttle(configured_store: DynamoStore) -> None:
    hook = _throttle(configured_store, MAX_ATTEMPTS - 1)
    assert configured_store.list_nodes(limit=10).items == []
    assert hook.sent == MAX_ATTEMPTS


def test_a_long_throttle_stops_after_three_attempts_as_a_store_error(configured_store: DynamoStore) -> None:
    from fleetfit.store import StoreError

    hook = _throttle(configured_store, 1000)
    with pytest.raises(StoreError, match="Throttling"):
        configured_store.list_nodes(limit=10)
    assert hook.sent == MAX_ATTEMPTS  # not botocore's legacy 10 for DynamoDB
