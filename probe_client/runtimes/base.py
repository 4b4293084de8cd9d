"""What every runtime reader returns, the bounded HTTP GET they all use, and the Prometheus text parser.

A reader is one module per runtime with one function, ``read(http, url) -> Found | None``: it asks the
runtime's documented read-only routes and answers None when the server at ``url`` is not that runtime.
Nothing is started and no prompt is sent: only GETs of status, model-list and metrics routes.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

MAX_BODY = 4 * 1024 * 1024  # a /metrics page of a busy vLLM is ~100 KB; anything past 4 MiB is not a runtime
PER_REQUEST_S = 0.5  # one GET never waits longer, and never past the discovery deadline


@dataclass(frozen=True)
class Served:
    """One model a runtime serves, as the runtime states it (no prompt text, no path but the file name)."""

    name: str
    file: str | None = None  # the model's own file name (llama.cpp), never its directory
    repo: str | None = None  # "org/name" when the runtime serves a Hub repo (vLLM, SGLang)
    quant: str | None = None
    context: int | None = None
    decode_tps: float | None = None
    prefill_tps: float | None = None
    samples: int = 0  # observations the rates average over, as the runtime counts them
    loaded: bool | None = None  # in memory now (Ollama /api/ps, LM Studio state); None: the runtime cannot say
    size_bytes: int | None = None


@dataclass(frozen=True)
class Found:
    kind: str
    version: str | None
    models: list[Served] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Http:
    """GETs that never outlive the deadline: each connect and read is bounded by what is left of it."""

    def __init__(
        self, deadline: float, clock: Callable[[], float] = time.monotonic, per_request: float = PER_REQUEST_S
    ) -> None:
        self.deadline = deadline
        self.clock = clock
        self.per_request = per_request

    def left(self) -> float:
        return self.deadline - self.clock()

    def get(self, base: str, path: str) -> Reply | None:
        """GET base+path; None when the port is closed, slow, or answers something that is not HTTP."""
        parts = urlsplit(base)
        budget = min(self.per_request, self.left())
        if budget <= 0.01 or parts.hostname is None:
            return None
        conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_type(parts.hostname, parts.port, timeout=budget)
        stop = self.clock() + budget
        try:
            conn.request("GET", parts.path.rstrip("/") + path, headers=_headers(parts))
            response = conn.getresponse()
            chunks: list[bytes] = []
            size = 0
            while True:
                if self.clock() > stop:  # a server that drips bytes is as good as dead
                    return None
                chunk = response.read1(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY:
                    return None
                chunks.append(chunk)
            return Reply(response.status, b"".join(chunks))
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            conn.close()


def _headers(parts: SplitResult) -> dict[str, str]:
    headers = {"Accept": "application/json, text/plain", "User-Agent": "fleetfit-probe"}
    if parts.username is not None:  # http://user:pass@host: sent as Basic auth, never reported
        raw = f"{parts.username}:{parts.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    return headers


def public_url(url: str) -> str:
    """The URL as a report may carry it: scheme, host, port and path; no credentials, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


def file_name(path: object) -> str | None:
    """The last component of a path the runtime printed (POSIX or Windows), so no directory leaves the node."""
    if not isinstance(path, str) or not path.strip():
        return None
    return re.split(r"[\\/]", path.strip())[-1][:255] or None


def repo_or_none(text: object) -> str | None:
    """``org/name`` when text is a Hub repo id, else None (a local path is not a repo)."""
    if isinstance(text, str) and re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", text):
        return text
    return None


def rate(tokens: float | None, seconds: float | None) -> float | None:
    """tokens / seconds when both are finite and positive, else None (an idle server has no rate)."""
    if tokens is None or seconds is None:
        return None
    if not (math.isfinite(tokens) and math.isfinite(seconds)) or tokens <= 0 or seconds <= 0:
        return None
    return round(tokens / seconds, 2)


def positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    return int(value)


def text(value: object, limit: int = 255) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


# --- Prometheus text exposition format (prometheus.io/docs/instrumenting/exposition_formats) --------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_prometheus(body: bytes) -> list[Sample]:
    """Every sample line; comments, malformed lines and non-finite values are skipped."""
    out: list[Sample] = []
    for line in body.decode("utf-8", "replace").splitlines():
        match = _SAMPLE.match(line.strip())
        if not match:
            continue
        try:
            value = float(match.group(4))
        except ValueError:
            continue
        if not math.isfinite(value):
            continue
        labels = dict(_LABEL.findall(match.group(3) or ""))
        out.append(Sample(match.group(1), labels, value))
    return out


def total(samples: list[Sample], name: str, **labels: str) -> float | None:
    """The sum of a metric over its series that carry ``labels``; None when the metric is absent."""
    values = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    return sum(values) if values else None
