"""Find the inference servers running on this node and read what they serve and how fast.

One module per runtime (llamacpp, ollama, vllm, sglang, lmstudio), each with ``read(http, url)``; this
module tries each runtime's default port on loopback plus any ``--runtime-url``, all at once, within one
deadline (1 s by default): a closed, dead or slow port costs at most that and never hangs the probe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from urllib.parse import urlsplit

from fleetfit.contract import RuntimeInfo, ServedModel
from pydantic import ValidationError

from probe_client.runtimes import llamacpp, lmstudio, ollama, sglang, vllm
from probe_client.runtimes.base import Found, Http, Served, public_url

log = logging.getLogger(__name__)

READERS: tuple[ModuleType, ...] = (ollama, llamacpp, vllm, sglang, lmstudio)  # the order a URL is identified in
BUDGET_S = 1.0
LOOPBACK = "127.0.0.1"


class BadRuntimeUrl(ValueError):
    """A --runtime-url that is not an http(s) URL with a host."""


@dataclass(frozen=True)
class Target:
    url: str
    preferred: str | None  # the runtime whose default port this is; tried first
    explicit: bool


@dataclass(frozen=True)
class Discovery:
    found: list[tuple[str, Found]]  # (public url, what answered there)
    notes: list[str]


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRuntimeUrl(f"--runtime-url {public_url(url)!r} must be an http:// or https:// URL with a host")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise BadRuntimeUrl(f"--runtime-url {public_url(url)!r} has an invalid port") from exc
    return url


def default_targets(host: str = LOOPBACK) -> list[Target]:
    return [Target(f"http://{host}:{reader.DEFAULT_PORT}", reader.KIND, False) for reader in READERS]


def discover(
    urls: Sequence[str] = (),
    *,
    defaults: bool = True,
    budget: float = BUDGET_S,
    clock: Callable[[], float] = time.monotonic,
    targets: Sequence[Target] | None = None,
) -> Discovery:
    """Probe every target concurrently; whatever has not answered when the budget is spent is dropped."""
    chosen = list(targets) if targets is not None else (default_targets() if defaults else [])
    chosen += [Target(check_url(u), None, True) for u in urls]
    unique = list({public_url(t.url): t for t in reversed(chosen)}.values())[::-1]  # one probe per server
    if not unique:
        return Discovery([], [])
    http = Http(clock() + budget, clock)
    pool = ThreadPoolExecutor(max_workers=len(unique), thread_name_prefix="runtime-probe")
    futures = {pool.submit(_identify, http, t): t for t in unique}
    done, _late = wait(futures, timeout=budget + 0.05)
    pool.shutdown(wait=False, cancel_futures=True)
    found: list[tuple[str, Found]] = []
    notes: list[str] = []
    for future, target in futures.items():
        answer = future.result() if future in done and future.exception() is None else None
        shown = public_url(target.url)
        if answer is not None:
            found.append((shown, answer))
            notes.extend(f"{answer.kind} at {shown}: {note}" for note in answer.notes)
            log.info("runtime %s %s at %s: %d model(s)", answer.kind, answer.version, shown, len(answer.models))
        elif target.explicit:
            notes.append(f"--runtime-url {shown} did not answer as a known runtime within {budget:g} s")
    return Discovery(found, notes)


def _identify(http: Http, target: Target) -> Found | None:
    order = sorted(READERS, key=lambda r: target.preferred != r.KIND)
    for reader in order:
        if http.left() <= 0:
            return None
        found: Found | None = reader.read(http, target.url)
        if found is not None:
            return found
    return None


def to_contract(discovery: Discovery, measured_at: datetime) -> list[RuntimeInfo]:
    """The report's ``runtimes``: every rate stamped with when it was read; at most 16 runtimes. What a
    runtime says that the contract cannot carry is dropped with a log line, never the whole report."""
    out = []
    for url, found in discovery.found[:16]:
        models = []
        for model in found.models[:64]:
            try:
                models.append(_served(model, measured_at))
            except ValidationError as exc:
                log.warning("%s at %s: model %.80r left out: %s", found.kind, url, model.name, _first(exc))
        try:
            out.append(RuntimeInfo(kind=found.kind, version=found.version, url=url, models=models))  # type: ignore[arg-type]
        except ValidationError as exc:
            log.warning("%s at %s left out: %s", found.kind, url, _first(exc))
    return out


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(map(str, err['loc']))}: {err['msg']}"


def _served(model: Served, measured_at: datetime) -> ServedModel:
    measured = model.decode_tps is not None or model.prefill_tps is not None
    return ServedModel(
        name=model.name[:200],
        file=model.file,
        repo=model.repo,
        quant=model.quant,
        context=model.context,
        measured_decode_tps=model.decode_tps,
        measured_prefill_tps=model.prefill_tps,
        samples=model.samples if measured else 0,
        measured_at=measured_at if measured else None,
        loaded=model.loaded,
        size_bytes=model.size_bytes,
    )


__all__ = ["BadRuntimeUrl", "Discovery", "Found", "Served", "Target", "check_url", "discover", "to_contract"]
