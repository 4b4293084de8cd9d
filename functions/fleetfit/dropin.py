"""Drop-in mode (`fleetfit serve --this-machine`): the API answers llmfit's routes for the machine it runs
on, so a script or UI written for `llmfit serve` works unchanged: no `node=` and no token.

At start-up the probe's own detection reads this machine (System, and the inference servers answering on
their default loopback ports), as llmfit detects once at start; the report is stored as the node
`this_machine_node`, and every llmfit route that names no node is answered for it. Without a token the
server must stay on loopback: `check_this_machine_bind` refuses any other address.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from fleetfit.contract import Report

# llmfit's routes that take the node from the query (node=): in drop-in mode the server supplies it.
NODE_ROUTES = ("/api/v1/models", "/api/v1/system", "/api/v1/runtimes", "/api/v1/installed", "/api/v1/plan")
_NODE_ID = re.compile(r"[^A-Za-z0-9._:@-]")


class DropInError(ValueError):
    """Drop-in mode cannot start as configured."""


def check_this_machine_bind(host: str) -> None:
    """Only a loopback address literal: a name could resolve elsewhere later, and nothing here asks a token."""
    try:
        loopback = ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise DropInError(
            f"--this-machine answers without a token or node=, so it binds loopback only (127.0.0.1, ::1 or "
            f"localhost); refusing {host!r}. For the fleet API on a network, run `fleetfit serve` with a token."
        )


def this_machine_node(hostname: str) -> str:
    cleaned = _NODE_ID.sub("-", hostname.strip()).lstrip("._:@-")[:128]
    return cleaned or "this-machine"


def this_machine_report(
    detect: Callable[[], Any] | None = None,
    discover_runtimes: Callable[[], list[Any]] | None = None,
) -> Report:
    """This machine as a probe report: the probe's detection, and the runtimes answering on loopback."""
    import platform
    from datetime import UTC, datetime

    from probe_client.detect import detect as probe_detect
    from probe_client.report import build_report

    detection = (detect or probe_detect)()
    notes = list(detection.notes)
    now = datetime.now(UTC)
    if discover_runtimes is None:
        from probe_client.runtimes import discover, to_contract

        found = discover()
        notes.extend(found.notes)
        runtimes = to_contract(found, now)
    else:
        runtimes = discover_runtimes()
    hostname = platform.node() or "this-machine"
    return build_report(
        detection.system,
        this_machine_node(hostname),
        notes=notes + ["drop-in mode: detected at start-up by fleetfit serve --this-machine"],
        hostname=hostname,
        os_label=platform.system().lower() or None,
        now=now,
        runtimes=runtimes,
    )


def with_node(path: str, query: dict[str, list[str]], node: str) -> dict[str, list[str]]:
    """The query with node=`node` added for llmfit's node routes that name none."""
    if "node" in query or not any(path == r or path.startswith(r + "/") for r in NODE_ROUTES):
        return query
    if path.startswith("/api/v1/nodes/"):
        return query
    return {**query, "node": [node]}
