"""One probe run: check the configuration, wait the splay, read the System, build the report, spool it,
then flush the spool to the API (or store it locally with --local). Returns the process exit code.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from fleetfit.contract import Report, RuntimeInfo, System

from probe_client import logs
from probe_client.deliver import Deliverer, FlushResult, Outcome, Result, RetryPolicy
from probe_client.detect import detect
from probe_client.host import Host, real_host
from probe_client.identity import imds_instance_id, resolve_node_id, valid_node_id
from probe_client.report import BadSystemFile, build_report, load_system
from probe_client.runtimes import BadRuntimeUrl, Discovery, check_url, discover, to_contract
from probe_client.runtimes.llamabench import BenchFailed, run_bench
from probe_client.spool import Spool, SpoolBusy, default_spool_dir
from probe_client.transport import (
    Auth,
    ConfigError,
    Sender,
    SigV4Auth,
    api_gateway_region,
    ingest_url,
    load_token,
)

log = logging.getLogger(__name__)

EXIT_DELIVERED = 0
EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_SPOOLED = 3


@dataclass
class ProbeArgs:
    endpoint: str | None = None
    token_file: str | None = None
    node_id: str | None = None
    spool_dir: str | None = None
    splay: float = 0.0
    system: str | None = None
    local: bool = False
    json: bool = False
    sigv4: bool = False
    runtime_urls: list[str] = field(default_factory=list)  # --runtime-url, repeatable
    no_runtimes: bool = False
    bench: str | None = None  # --bench MODEL_FILE: run llama-bench on it


def _discover(urls: Sequence[str], defaults: bool) -> Discovery:
    return discover(urls, defaults=defaults)


@dataclass
class Runtime:
    """Everything a run touches outside its own logic; tests replace any of it."""

    host: Host = field(default_factory=real_host)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.SystemRandom)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    imds: Callable[[], str | None] = imds_instance_id
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    runtimes: Callable[[Sequence[str], bool], Discovery] = _discover  # (--runtime-url list, default ports?)


@dataclass
class _Target:
    url: str
    auth: Auth


def run_probe(args: ProbeArgs, rt: Runtime | None = None) -> int:
    rt = rt or Runtime()
    try:
        return _run(args, rt)
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_CONFIG
    except Exception as exc:  # the exit code says "other error"; the message says which
        log.error("unexpected %s: %s", type(exc).__name__, exc)
        log.debug("traceback", exc_info=True)
        return EXIT_ERROR


def _run(args: ProbeArgs, rt: Runtime) -> int:
    if args.splay < 0:
        raise ConfigError("--splay must be 0 or more seconds")
    if args.node_id is not None and not valid_node_id(args.node_id):
        raise ConfigError("--node-id must be 1-128 characters of A-Z a-z 0-9 . _ : @ - and start alphanumeric")
    try:
        for url in args.runtime_urls:
            check_url(url)
    except BadRuntimeUrl as exc:
        raise ConfigError(str(exc)) from exc
    if args.no_runtimes and (args.runtime_urls or args.bench):
        raise ConfigError("--no-runtimes contradicts --runtime-url/--bench: give one or the other")
    target = None if args.local else _target(args, rt.environ)

    if args.splay:
        rt.sleep(rt.rng.uniform(0, args.splay))

    if args.system:
        try:
            system: System = load_system(args.system)
        except BadSystemFile as exc:
            raise ConfigError(str(exc)) from exc
        notes = [f"System read from {Path(args.system).name}, not detected"]
    else:
        detection = detect(rt.host)
        system, notes = detection.system, detection.notes
    node_id, how = resolve_node_id(args.node_id, rt.host, rt.imds)
    log.info("node id %s (%s)", node_id, how)
    now = rt.now()
    runtimes = [] if args.no_runtimes else _runtimes(args, rt, notes, now)
    report = build_report(
        system,
        node_id,
        notes=notes,
        hostname=rt.host.hostname(),
        os_label=rt.host.os_label(),
        now=now,
        runtimes=runtimes,
    )
    if target is None:
        return _local(report, args, rt)
    return _send(report, target, args, rt)


def _runtimes(args: ProbeArgs, rt: Runtime, notes: list[str], now: datetime) -> list[RuntimeInfo]:
    """What the inference servers on this node serve (read-only GETs, at most 1 s), plus --bench's run."""
    discovery = rt.runtimes(args.runtime_urls, True)
    notes.extend(discovery.notes)
    found = to_contract(discovery, now)
    if args.bench:
        try:
            found.append(run_bench(args.bench, rt.host, now))
        except BenchFailed as exc:
            raise ConfigError(f"--bench: {exc}") from exc
    return found


def _target(args: ProbeArgs, environ: Mapping[str, str]) -> _Target:
    endpoint = args.endpoint or environ.get("FLEETFIT_ENDPOINT")
    if not endpoint:
        raise ConfigError("no endpoint: pass --endpoint URL or set FLEETFIT_ENDPOINT (or use --local)")
    url = ingest_url(endpoint)
    auth: Auth
    if args.sigv4 or api_gateway_region(url):
        auth = SigV4Auth.from_environment(None, url)
    else:
        auth = load_token(args.token_file, environ)
    logs.REDACTOR.add(auth.secrets())
    return _Target(url, auth)


# --- sending ----------------------------------------------------------------------------------------------


def report_body(report: Report) -> bytes:
    """The report as sent. A node without runtimes sends exactly what it sent before runtimes existed."""
    data = report.model_dump(mode="json", exclude=None if report.runtimes else {"runtimes"})
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def _send(report: Report, target: _Target, args: ProbeArgs, rt: Runtime) -> int:
    spool = Spool(Path(args.spool_dir) if args.spool_dir else default_spool_dir())
    body = report_body(report)
    sender = Sender(target.url, target.auth, minimal=not args.json)  # --json prints the top models
    deliverer = Deliverer(spool, sender.post, policy=rt.policy, sleep=rt.sleep, clock=rt.clock, rng=rt.rng, now=rt.now)
    try:
        spool.put(report.report_id, body)
    except OSError as exc:
        log.warning("cannot write the spool %s (%s): sending without a safety copy", spool.root, exc.strerror)
        return _finish(report, deliverer.send(report.report_id, body, spooled=False), None, args, rt)
    try:
        with spool.locked():
            flushed = deliverer.flush()
    except SpoolBusy:
        log.warning("another probe run is flushing %s; report %s waits there", spool.root, report.report_id)
        return EXIT_SPOOLED
    current = flushed.of(report.report_id)
    if current is None:  # flushing stopped on an older report
        stopper = flushed.results[-1] if flushed.results else Result(report.report_id, Outcome.RETRY_LATER)
        current = Result(report.report_id, stopper.outcome, stopper.status, stopper.message)
    return _finish(report, current, flushed, args, rt, spool)


def _finish(
    report: Report,
    result: Result,
    flushed: FlushResult | None,
    args: ProbeArgs,
    rt: Runtime,
    spool: Spool | None = None,
) -> int:
    older = [r for r in (flushed.results if flushed else []) if r.report_id != report.report_id]
    delivered_older = sum(r.outcome is Outcome.DELIVERED for r in older)
    for dead in (r for r in older if r.outcome is Outcome.DEAD):
        log.warning("older report %s was refused (HTTP %s): %s", dead.report_id, dead.status, dead.message)
    waiting = len(spool.pending_ids()) if spool else 0

    if result.outcome is Outcome.DELIVERED:
        if args.json:
            rt.stdout.write(_pretty(result.body) + "\n")
        else:
            label = "new" if result.status == 201 else "already known" if result.status == 200 else result.status
            extra = f"; {delivered_older} older report(s) flushed" if delivered_older else ""
            rt.stdout.write(f"delivered report {report.report_id} for node {report.node_id} ({label}){extra}\n")
        return EXIT_DELIVERED
    if result.outcome is Outcome.CONFIG:
        log.error(
            "the server refused the request (HTTP %s: %s): check --endpoint and credentials; %d report(s) wait in %s",
            result.status,
            result.message,
            waiting,
            spool.root if spool else "memory",
        )
        return EXIT_CONFIG
    if result.outcome is Outcome.DEAD:
        log.error(
            "the server refused report %s for good (HTTP %s): %s",
            report.report_id,
            result.status,
            result.message,
        )
        return EXIT_ERROR
    if spool is None:
        log.error("could not deliver report %s (%s) and could not spool it", report.report_id, result.message)
        return EXIT_ERROR
    log.warning(
        "not delivered now (%s): %d report(s) wait in %s for the next run",
        result.message or "stopped early",
        waiting,
        spool.root,
    )
    return EXIT_SPOOLED


def _pretty(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    try:
        return json.dumps(json.loads(text), indent=2)
    except json.JSONDecodeError:
        return text


# --- --local ----------------------------------------------------------------------------------------------


def _local(report: Report, args: ProbeArgs, rt: Runtime) -> int:
    try:
        from fleetfit.local import ingest_local  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        log.error("--local is not available yet: this install has no embedded store (fleetfit.local)")
        return EXIT_ERROR
    envelope: Any = ingest_local(report, db_path=None)
    if args.json:
        data = envelope.model_dump(mode="json") if hasattr(envelope, "model_dump") else envelope
        rt.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_DELIVERED
    try:
        from fleetfit.render import render_table  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        log.error("report stored, but the table renderer is not available yet (fleetfit.render); try --json")
        return EXIT_ERROR
    rt.stdout.write(render_table(envelope).rstrip("\n") + "\n")
    return EXIT_DELIVERED
