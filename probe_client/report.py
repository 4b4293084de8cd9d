"""Build the Report a probe run sends, and read a System from a file (`--system FILE`)."""

from __future__ import annotations

import json
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from fleetfit.contract import Report, RuntimeInfo, System
from pydantic import ValidationError

from probe_client import __version__


class BadSystemFile(ValueError):
    """The --system file is missing, is not JSON, or is not a System object."""


def new_report_id(collected_at: datetime) -> str:
    """Time-ordered and unique: "20261127T105128123456Z-3f9a1c2b4d5e". Sorting ids sorts by collection time,
    which is how the spool finds its oldest report."""
    return f"{collected_at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(6)}"


def build_report(
    system: System,
    node_id: str,
    *,
    notes: list[str],
    hostname: str | None,
    os_label: str | None,
    now: datetime | None = None,
    runtimes: list[RuntimeInfo] | None = None,
) -> Report:
    collected_at = (now or datetime.now(UTC)).astimezone(UTC)
    return Report(
        node_id=node_id,
        report_id=new_report_id(collected_at),
        probe_version=__version__,
        collected_at=collected_at,
        hostname=(hostname or None) and hostname[:255],
        os=(os_label or None) and os_label[:64],
        system=system,
        notes=notes[:64],
        runtimes=(runtimes or [])[:16],
    )


def load_system(path: str) -> System:
    """A System object from a JSON file ("-" reads stdin). Also takes a Report or an envelope, which hold one
    under "system", so `fleetfit system --json` output and saved reports both work."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as exc:
        raise BadSystemFile(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise BadSystemFile(f"{path} is not JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("system"), dict):
        data = data["system"]
    try:
        return System.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors())
        raise BadSystemFile(f"{path} is not a System object: {problems}") from exc
