"""Send spooled reports, oldest first, with capped exponential backoff and full jitter.

What each answer means for a report:
    2xx                       delivered: removed from the spool
    429, 408, 5xx, no answer  retried (Retry-After honoured); still failing: kept for the next run
    3xx, 401, 403, 404, 405, 407
                              the configuration is wrong, not the report: kept, flushing stops (exit 2)
    any other 4xx             the server will never take this report: moved to dead/ with its message

A report the server keeps failing with a 5xx while it accepts the next one (a server-side bug with this one
report: a "poison" report) does not hold back the rest: the flush goes on to the next report, tried once; if
that one is delivered, the failing report gets a strike in the spool, and after MAX_STRIKES runs with a strike
it is dead-lettered. When the next report fails too, the server itself is unwell: no strike, the flush stops.
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
# Runs in which the server failed a report while accepting a newer one, before that report is dead-lettered:
# 3 runs are 45 minutes at the 15-minute timer, long enough to ride out a deployment's partial failure.
MAX_STRIKES = 3


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
    if value.isascii() and value.isdigit():  # str.isdigit also takes '²' and other scripts' digits
        return float(value[:12])  # 12 digits are 30,000 years: past any bound the caller applies
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max((when - now).total_seconds(), 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):  # not a date this parser reads: no hint
        return None


def _server_failed(result: Result) -> bool:
    """The server answered this report with a 5xx (not: no answer, or 408/429 asking everyone to slow down)."""
    return result.status is not None and result.status >= 500


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
        """Send every spooled report, oldest first; stop at the first that must wait or cannot be sent, except
        that a report the server fails with a 5xx is stepped over once to see whether the next one goes."""
        flushed = FlushResult()
        pending = self.spool.pending_ids()
        stuck: list[Result] = []  # failed by the server this run, waiting to learn whether the next one goes
        for index, report_id in enumerate(pending):
            try:
                body = self.spool.read(report_id)
            except FileNotFoundError:  # sent by a run that held the lock before us
                continue
            result = self.send(report_id, body, spooled=True, attempts=1 if stuck else None)
            flushed.results.append(result)
            if result.outcome is Outcome.DELIVERED and stuck:
                self._strike(stuck, flushed)
                stuck = []
            elif result.outcome is Outcome.RETRY_LATER and not stuck and _server_failed(result):
                stuck.append(result)
            elif result.outcome in (Outcome.RETRY_LATER, Outcome.CONFIG):
                flushed.remaining = [r.report_id for r in stuck] + pending[index:]
                break
        else:
            flushed.remaining = [r.report_id for r in stuck]
        return flushed

    def _strike(self, stuck: list[Result], flushed: FlushResult) -> None:
        """The server took a newer report but failed these: count a strike; at MAX_STRIKES, dead-letter."""
        for result in stuck:
            strikes = self.spool.strike(result.report_id)
            if strikes < MAX_STRIKES or result.status is None:
                log.warning(
                    "report %s failed (%s) while a newer one was delivered: strike %d of %d",
                    result.report_id,
                    result.message,
                    strikes,
                    MAX_STRIKES,
                )
                continue
            message = f"{result.message} (failed in {strikes} runs while newer reports were delivered)"
            where = self.spool.dead_letter(result.report_id, result.status, message)
            log.warning(
                "report %s given up (HTTP %d: %s); moved to %s", result.report_id, result.status, message, where
            )
            flushed.results[flushed.results.index(result)] = Result(
                result.report_id, Outcome.DEAD, result.status, message
            )

    def send(self, report_id: str, body: bytes, *, spooled: bool, attempts: int | None = None) -> Result:
        why = ""
        attempts = self.policy.attempts if attempts is None else attempts
        for attempt in range(attempts):
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
            if attempt + 1 == attempts:
                break
            if wait > self.policy.max_retry_after_s or self.clock() + wait > self.deadline:
                why += f"; next try in {wait:.0f} s is past this run's budget"
                break
            log.info("report %s: %s; retry %d in %.1f s", report_id, why, attempt + 1, wait)
            self.sleep(wait)
        return Result(report_id, Outcome.RETRY_LATER, status, why)
