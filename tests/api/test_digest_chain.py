"""Publish-time digests past one invocation: a hop that leaves classes pending, having made progress, puts one
"Digests pending" event on the default bus (api/digest_chain.py); the function's rule (template.yaml:
DigestsPending) delivers it back, and the next hop computes the next batch. Here moto's EventBridge carries the
events: a rule with the template's pattern sends them to an SQS queue, the test reads each one and hands it to
``lambda_handler``, as the rule's Lambda target would."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from fleetfit.api.digest_chain import DETAIL_TYPE, SOURCE, events_client
from fleetfit.api.handler import PUBLISH_MARGIN_S, lambda_handler
from fleetfit.fleet import service as service_mod
from fleetfit.fleet.service import Fleet, forget_digests
from fleetfit.store.samples import cpu_only_x86, h100_server, rtx4090_workstation

from .support import ACCOUNT, BUCKET, CATALOG_KEY, Call, FakeContext, load_template, report_nodes

REGION = "eu-west-1"
CLASS_SECONDS = 1.0  # what computing one class's digest costs on the test's clock
ONE_CLASS = FakeContext(remaining_ms=int((PUBLISH_MARGIN_S + 0.5 * CLASS_SECONDS) * 1000))  # budget: half a class
NO_BUDGET = FakeContext(remaining_ms=int(PUBLISH_MARGIN_S * 1000))


def _published() -> dict[str, Any]:
    return {
        "version": "0",
        "source": "aws.s3",
        "detail-type": "Object Created",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {"bucket": {"name": BUCKET}, "object": {"key": CATALOG_KEY, "size": 1}, "reason": "PutObject"},
    }


@dataclass
class Bus:
    """What the function put on the default bus: ``pending`` gets what the template's DigestsPending rule
    matches, ``everything`` every event of the account (so that "nothing was sent" is seen, whatever its shape)."""

    sqs: Any
    pending: str
    everything: str

    def take(self, queue: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                return out
            for m in messages:
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])

    def quiet(self) -> bool:
        return not self.take(self.pending) and not self.take(self.everything)


@pytest.fixture
def bus(aws: dict[str, Any]) -> Bus:
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    rule = load_template()["Resources"]["ApiFunction"]["Properties"]["Events"]["DigestsPending"]["Properties"]
    queues = {}
    for name, pattern in (("pending", rule["Pattern"]), ("everything", {"account": [ACCOUNT]})):
        url = sqs.create_queue(QueueName=f"digests-{name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"digests-{name}", EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=f"digests-{name}", Targets=[{"Id": "queue", "Arn": arn}])
        queues[name] = url
    return Bus(sqs=sqs, pending=queues["pending"], everything=queues["everything"])


@pytest.fixture
def class_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, float]]:
    """A hop's budget is read (Fleet.digests_within) on a clock on which each class's digest (really computed)
    costs CLASS_SECONDS, so it covers a known number of classes however fast this machine is."""
    clock = {"now": 1000.0, "digests": 0}
    monkeypatch.setattr(service_mod, "time", SimpleNamespace(monotonic=lambda: clock["now"]))
    real_digest = Fleet.digest

    def costly_digest(self: Fleet, *args: Any, **kwargs: Any) -> Any:
        found = real_digest(self, *args, **kwargs)
        clock["now"] += CLASS_SECONDS
        clock["digests"] += 1
        return found

    monkeypatch.setattr(Fleet, "digest", costly_digest)
    yield clock


def _fleet_of_three(call: Call, lambda_services: Any, aws: dict[str, Any], catalog_bytes: bytes, drop: int = 1) -> None:
    """Three nodes of three classes (digested for the bundled catalog at ingest), then a new catalog published."""
    if lambda_services.engine.fleet is None:
        pytest.skip("digests need the real engine")
    report_nodes(call, (rtx4090_workstation(), h100_server(), cpu_only_x86()), "i-0chain")
    _publish(aws, catalog_bytes, drop)


def _publish(aws: dict[str, Any], catalog_bytes: bytes, drop: int) -> None:
    doc = json.loads(gzip.decompress(catalog_bytes))
    doc["models"] = doc["models"][:-drop]  # another catalog: `drop` models fewer
    aws["s3"].put_object(Bucket=BUCKET, Key=CATALOG_KEY, Body=gzip.compress(json.dumps(doc).encode()))


def _versions(lambda_services: Any) -> list[str]:
    return sorted(str(c.digest_version) for c in lambda_services.store.classes(digests=True))


def test_a_publish_too_big_for_one_invocation_continues_until_every_class_has_its_digest(
    call: Call,
    lambda_services: Any,
    aws: dict[str, Any],
    catalog_bytes: bytes,
    bus: Bus,
    class_clock: dict[str, float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    _fleet_of_three(call, lambda_services, aws, catalog_bytes)
    assert bus.quiet()  # ingest sends nothing

    first = lambda_handler(_published(), ONE_CLASS)
    new_version = first["catalog_version"]
    assert (first["hop"], first["computed"], first["pending"], first["continuation"]) == (0, 1, 2, "sent")
    hops = [first]
    while hops[-1]["pending"] and len(hops) < 10:
        delivered = bus.take(bus.pending)
        assert len(delivered) == 1, delivered  # ONE continuation per hop
        (event,) = delivered
        assert event["source"] == SOURCE and event["detail-type"] == DETAIL_TYPE
        assert event["detail"]["catalog_version"] == new_version
        assert event["detail"]["hop"] == hops[-1]["hop"] + 1
        hops.append(lambda_handler(event, ONE_CLASS))

    assert [(h["hop"], h["computed"], h["pending"]) for h in hops] == [(0, 1, 2), (1, 1, 1), (2, 1, 0)]
    assert [h["continuation"] for h in hops] == ["sent", "sent", "done"]
    assert class_clock["digests"] == 3
    assert _versions(lambda_services) == [new_version] * 3
    assert bus.take(bus.pending) == []  # the chain stopped: nothing after the last hop
    assert [e["detail"]["hop"] for e in bus.take(bus.everything)] == [1, 2]  # and nothing else was put on the bus

    hop_lines = [r for r in caplog.records if r.getMessage() == "digest hop"]  # one structured line per hop
    assert [(r.hop, r.computed, r.pending) for r in hop_lines] == [(0, 1, 2), (1, 1, 1), (2, 1, 0)]  # type: ignore[attr-defined]

    lambda_services.settings.fleet_eval_budget_s = 0.0  # a summary that may evaluate nothing itself
    forget_digests()  # as in another container
    summary = call("GET", "/api/v1/fleet/summary").body
    assert summary["catalog_version"] == new_version
    assert summary["classes"] == {"total": 3, "evaluated": 3, "pending": 0}


def test_a_continuation_for_a_superseded_catalog_does_nothing(
    call: Call, lambda_services: Any, aws: dict[str, Any], catalog_bytes: bytes, bus: Bus, class_clock: Any
) -> None:
    _fleet_of_three(call, lambda_services, aws, catalog_bytes)
    first = lambda_handler(_published(), ONE_CLASS)
    assert first["continuation"] == "sent"
    (continuation,) = bus.take(bus.pending)
    bus.take(bus.everything)
    before = _versions(lambda_services)

    _publish(aws, catalog_bytes, drop=2)  # a newer catalog (its own publish event would start its own chain)
    stale = lambda_handler(continuation, ONE_CLASS)
    assert stale["continuation"] == "superseded" and stale["computed"] == 0
    assert stale["superseded"] == first["catalog_version"] != stale["catalog_version"]
    assert class_clock["digests"] == 1  # the first hop's class only
    assert _versions(lambda_services) == before
    assert bus.quiet()


def test_a_hop_without_progress_does_not_continue(
    call: Call, lambda_services: Any, aws: dict[str, Any], catalog_bytes: bytes, bus: Bus
) -> None:
    _fleet_of_three(call, lambda_services, aws, catalog_bytes)
    done = lambda_handler(_published(), NO_BUDGET)
    assert (done["computed"], done["pending"], done["continuation"]) == (0, 3, "no_progress")
    assert bus.quiet()


def test_the_chain_stops_at_the_hop_bound(
    call: Call, lambda_services: Any, aws: dict[str, Any], catalog_bytes: bytes, bus: Bus, class_clock: Any
) -> None:
    _fleet_of_three(call, lambda_services, aws, catalog_bytes)
    lambda_services.settings.digest_max_hops = 1
    first = lambda_handler(_published(), ONE_CLASS)
    assert first["continuation"] == "sent"
    (event,) = bus.take(bus.pending)
    last = lambda_handler(event, ONE_CLASS)
    assert (last["hop"], last["computed"], last["pending"], last["continuation"]) == (1, 1, 1, "hop_limit")
    bus.take(bus.everything)
    assert bus.quiet()

    beyond = {**event, "detail": {**event["detail"], "hop": 2}}  # a hop past the bound, however it came
    refused = lambda_handler(beyond, ONE_CLASS)
    assert (refused["computed"], refused["continuation"]) == (0, "hop_limit")
    assert class_clock["digests"] == 2
    assert bus.quiet()


@pytest.mark.parametrize("detail", [{}, {"catalog_version": "v", "hop": 0}, {"catalog_version": "", "hop": 1},
                                    {"catalog_version": "v", "hop": True}, {"hop": 1}, "text"])  # fmt: skip
def test_a_malformed_continuation_is_ignored(lambda_services: Any, bus: Bus, detail: Any) -> None:
    event = {"source": SOURCE, "detail-type": DETAIL_TYPE, "detail": detail}
    done = lambda_handler(event, ONE_CLASS)
    assert (done["computed"], done["continuation"]) == (0, "ignored")
    assert bus.quiet()


def _refuse_put_events(how: str, client: Any, stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "unreachable":

        def unreachable(**_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url=f"https://events.{REGION}.amazonaws.com/")

        monkeypatch.setattr(client, "put_events", unreachable)
        return
    stub = stack.enter_context(Stubber(client))
    if how == "refused":
        stub.add_client_error("put_events", service_error_code="AccessDeniedException", http_status_code=400)
    else:  # EventBridge answers 200 but did not take the entry
        stub.add_response(
            "put_events",
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}]},
        )


@pytest.mark.parametrize(
    ("how", "error"),
    [("refused", "AccessDeniedException"), ("unreachable", "EndpointConnectionError"), ("failed entry", "ThrottlingException")],
)  # fmt: skip
def test_a_continuation_that_cannot_be_sent_is_reported_not_raised(
    call: Call,
    lambda_services: Any,
    aws: dict[str, Any],
    catalog_bytes: bytes,
    bus: Bus,
    class_clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    how: str,
    error: str,
) -> None:
    from contextlib import ExitStack

    _fleet_of_three(call, lambda_services, aws, catalog_bytes)
    caplog.set_level(logging.WARNING)
    with ExitStack() as stack:
        _refuse_put_events(how, events_client(lambda_services), stack, monkeypatch)
        done = lambda_handler(_published(), ONE_CLASS)
    assert (done["computed"], done["pending"], done["continuation"]) == (1, 2, "failed")
    assert done["continuation_error"] == error
    assert "continuation not sent" in caplog.text
    assert bus.quiet()
    # the lazy path still covers the classes left: a summary with budget computes them
    forget_digests()
    summary = call("GET", "/api/v1/fleet/summary").body
    assert summary["classes"] == {"total": 3, "evaluated": 3, "pending": 0}
