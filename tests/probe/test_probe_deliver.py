"""Retry rules, one answer at a time, on a scripted post function and an instant clock."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from probe_fakes import FakeTime

from probe_client.deliver import Deliverer, Outcome, RetryPolicy, retry_after_s
from probe_client.spool import Spool
from probe_client.transport import HttpResponse, TransportError

Answer = HttpResponse | TransportError


def scripted(answers: list[Answer]) -> tuple[Callable[[bytes, str], HttpResponse], list[str]]:
    sent: list[str] = []

    def post(body: bytes, report_id: str) -> HttpResponse:
        sent.append(report_id)
        answer = answers.pop(0) if answers else HttpResponse(201, {}, b"{}")
        if isinstance(answer, TransportError):
            raise answer
        return answer

    return post, sent


def make(tmp_path: Path, answers: list[Answer], fake_time: FakeTime, **policy: float) -> tuple[Deliverer, list[str]]:
    spool = Spool(tmp_path / "spool")
    post, sent = scripted(answers)
    deliverer = Deliverer(
        spool,
        post,
        policy=RetryPolicy(**{"attempts": 5, "base_s": 1.0, "cap_s": 8.0, "budget_s": 60.0, **policy}),  # type: ignore[arg-type]
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        rng=random.Random(3),
        now=fake_time.now,
    )
    return deliverer, sent


def test_full_jitter_stays_under_the_capped_exponential() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=8.0)
    rng = random.Random(1)
    for attempt in range(10):
        ceiling = min(8.0, 2.0**attempt)
        draws = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling * 0.8  # spread over the whole range, not a fixed delay


def test_5xx_then_success_retries_with_backoff(tmp_path: Path, fake_time: FakeTime) -> None:
    deliverer, sent = make(tmp_path, [HttpResponse(503, {}, b""), HttpResponse(502, {}, b"")], fake_time)
    deliverer.spool.put("20261127T100000000000Z-aaaaaaaaaaaa", b"{}")
    result = deliverer.flush()
    assert [r.outcome for r in result.results] == [Outcome.DELIVERED]
    assert len(sent) == 3 and len(fake_time.sleeps) == 2
    assert 0 <= fake_time.sleeps[0] <= 1 and 0 <= fake_time.sleeps[1] <= 2
    assert deliverer.spool.pending_ids() == []


def test_429_retry_after_seconds_is_honoured(tmp_path: Path, fake_time: FakeTime) -> None:
    deliverer, sent = make(tmp_path, [HttpResponse(429, {"Retry-After": "7"}, b"")], fake_time)
    deliverer.spool.put("20261127T100000000000Z-aaaaaaaaaaaa", b"{}")
    assert deliverer.flush().results[0].outcome is Outcome.DELIVERED
    assert fake_time.sleeps == [7.0]


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    assert retry_after_s("Fri, 27 Nov 2026 10:00:30 GMT", now) == 30.0
    assert retry_after_s("Fri, 27 Nov 2026 09:00:00 GMT", now) == 0.0
    assert retry_after_s("soon", now) is None
    assert retry_after_s(None, now) is None


def test_retry_after_past_the_budget_leaves_the_report_for_the_next_run(tmp_path: Path, fake_time: FakeTime) -> None:
    deliverer, sent = make(tmp_path, [HttpResponse(503, {"Retry-After": "3600"}, b"")], fake_time)
    deliverer.spool.put("20261127T100000000000Z-aaaaaaaaaaaa", b"{}")
    result = deliverer.flush()
    assert result.results[0].outcome is Outcome.RETRY_LATER
    assert fake_time.sleeps == [] and len(sent) == 1
    assert deliverer.spool.pending_ids() == ["20261127T100000000000Z-aaaaaaaaaaaa"]


def test_network_errors_exhaust_the_attempts_and_stop_the_flush(tmp_path: Path, fake_time: FakeTime) -> None:
    refused = [TransportError("ConnectionRefusedError: [Errno 111] Connection refused")] * 5
    deliverer, sent = make(tmp_path, list(refused), fake_time)
    for n in range(3):
        deliverer.spool.put(f"20261127T10000{n}000000Z-aaaaaaaaaaaa", b"{}")
    result = deliverer.flush()
    assert [r.outcome for r in result.results] == [Outcome.RETRY_LATER]  # the newer two are not tried
    assert len(sent) == 5 and len(fake_time.sleeps) == 4
    assert len(result.remaining) == 3 and len(deliverer.spool.pending_ids()) == 3
    assert "Connection refused" in result.results[0].message


def test_the_run_budget_caps_total_waiting(tmp_path: Path, fake_time: FakeTime) -> None:
    deliverer, sent = make(tmp_path, [HttpResponse(503, {}, b"")] * 50, fake_time, attempts=50, budget_s=20.0)
    deliverer.spool.put("20261127T100000000000Z-aaaaaaaaaaaa", b"{}")
    assert deliverer.flush().results[0].outcome is Outcome.RETRY_LATER
    assert sum(fake_time.sleeps) <= 20.0


def test_400_dead_letters_and_the_flush_goes_on(tmp_path: Path, fake_time: FakeTime) -> None:
    refused = HttpResponse(400, {}, b'{"error": "system.cpu_cores: Input should be greater than or equal to 1"}')
    deliverer, sent = make(tmp_path, [refused], fake_time)
    deliverer.spool.put("20261127T100000000000Z-aaaaaaaaaaaa", b"{}")
    deliverer.spool.put("20261127T100001000000Z-bbbbbbbbbbbb", b"{}")
    result = deliverer.flush()
    assert [r.outcome for r in result.results] == [Outcome.DEAD, Outcome.DELIVERED]
    assert result.results[0].message == "system.cpu_cores: Input should be greater than or equal to 1"
    assert deliverer.spool.dead_ids() == ["20261127T100000000000Z-aaaaaaaaaaaa"]
    assert fake_time.sleeps == []


@pytest.mark.parametrize("status", [301, 401, 403, 404])
def test_configuration_answers_keep_the_report_and_stop(tmp_path: Path, fake_time: FakeTime, status: int) -> None:
    deliverer, sent = make(tmp_path, [HttpResponse(status, {}, b'{"error": "nope"}')], fake_time)
    deliverer.spool.put("20261127T100000000000Z-aaaaaaaaaaaa", b"{}")
    deliverer.spool.put("20261127T100001000000Z-bbbbbbbbbbbb", b"{}")
    result = deliverer.flush()
    assert [r.outcome for r in result.results] == [Outcome.CONFIG]
    assert len(sent) == 1 and len(deliverer.spool.pending_ids()) == 2
    assert deliverer.spool.dead_ids() == []
