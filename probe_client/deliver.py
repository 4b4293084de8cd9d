"""Send spooled reports, oldest first, with capped exponential backoff and full jitter.

What each answer means for a report:
    2xx                       delivered: removed from the spool
    429, 408, 5xx, no answer  retried (Retry-After honoured); still failing: kept for the next run
    3xx, 401, 403, 404, 405, 407
                              the configuration is wrong, not the report: kept, flushing stops (exit 2)
    any other 4xx             the server will never take this report: moved to dead/ with its message
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from probe_client.spool import Spool
from probe_client.transport import HttpResponse, TransportError

log = logging.getLogger(__name__)

_CONFIG_STATUSES = {401, 403, 404, 405, 407}
_RETRY_STATUSES = {408, 429}
_MESSAGE_MAX = 500


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries per report in one run
    base_s: float = 1.0
    cap_s: float = 30.0
    budget_s: float = 120.0  # most one run spends waiting; what is left waits for the next run
    max_retry_after_s: float = 600.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform(0, min(cap, base * 2^attempt)) ("Exponential Backoff And Jitter",
        AWS Architecture Blog, 2015): retries of a fleet spread out instead of arriving in waves."""
        return rng.uniform(0, min(self.cap_s, self.base_s * 2**attempt))


class Outcome(StrEnum):
    DELIVERED = "delivered"
    DEAD = "dead_lettered"
    RETRY_LATER = "spooled"
    CONFIG = "configuration"


@dataclass
class Result:
    report_id: str
    outcome: Outcome
    status: int | None = None
    message: str = ""
    body: bytes = b""


@dataclass
class FlushResult:
    results: list[Result] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)

    def of(self, report_id: str) -> Result | None:
        return next((r for r in self.results if r.report_id == report_id), None)

    @property
    def delivered(self) -> list[str]:
        return [r.report_id for r in self.results if r.outcome is Outcome.DELIVERED]

    @property
    def dead(self) -> list[str]:
        return [r.report_id for r in self.results if r.outcome is Outcome.DEAD]


def server_message(response: HttpResponse) -> str:
    """The server's {"error": "..."} text, else the start of its body, on one line."""
    text = response.body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        if isinstance(data, dict) and data.get("error"):
            text = str(data["error"])
    except json.JSONDecodeError:
        pass
    text = " ".join(text.split())
    return text[:_MESSAGE_MAX] or f"HTTP {response.status}"


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


class Deliverer:
    def __init__(
        self,
        spool: Spool,
        post: Callable[[bytes, str], HttpResponse],
        *,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.spool = spool
        self.post = post
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        self.now = now
        self.deadline = clock() + policy.budget_s

    def flush(self) -> FlushResult:
        """Send every spooled report, oldest first; stop at the first that must wait or cannot be sent."""
        flushed = FlushResult()
        pending = self.spool.pending_ids()
        for index, report_id in enumerate(pending):
            try:
                body = self.spool.read(report_id)
            except FileNotFoundError:  # sent by a run that held the lock before us
                continue
            result = self.send(report_id, body, spooled=True)
            flushed.results.append(result)
            if result.outcome in (Outcome.RETRY_LATER, Outcome.CONFIG):
                flushed.remaining = pending[index:]
                break
        return flushed

    def send(self, report_id: str, body: bytes, *, spooled: bool) -> Result:
        why = ""
        for attempt in range(self.policy.attempts):
            try:
                response = self.post(body, report_id)
            except TransportError as exc:
                why, status, wait = f"no answer ({exc})", None, self.policy.backoff(attempt, self.rng)
            else:
                status = response.status
                if 200 <= status < 300:
                    if spooled:
                        self.spool.remove(report_id)
                    return Result(report_id, Outcome.DELIVERED, status, body=response.body)
                message = server_message(response)
                if 300 <= status < 400 or status in _CONFIG_STATUSES:
                    return Result(report_id, Outcome.CONFIG, status, message)
                if status not in _RETRY_STATUSES and status < 500:
                    if spooled:
                        where = self.spool.dead_letter(report_id, status, message)
                        log.warning("report %s refused (HTTP %d: %s); moved to %s", report_id, status, message, where)
                    return Result(report_id, Outcome.DEAD, status, message)
                why = f"HTTP {status}: {message}"
                hinted = retry_after_s(response.header("Retry-After"), self.now())
                wait = hinted if hinted is not None else self.policy.backoff(attempt, self.rng)
            if attempt + 1 == self.policy.attempts:
                break
            if wait > self.policy.max_retry_after_s or self.clock() + wait > self.deadline:
                why += f"; next try in {wait:.0f} s is past this run's budget"
                break
            log.info("report %s: %s; retry %d in %.1f s", report_id, why, attempt + 1, wait)
            self.sleep(wait)
        return Result(report_id, Outcome.RETRY_LATER, status, why)
