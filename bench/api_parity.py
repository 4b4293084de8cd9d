"""API parity with llmfit 1.1.17: llmfit's REST routes and query parameters that fleetfit's drop-in mode
honours, of all llmfit has.

    python bench/api_parity.py [--notes ../shared/reference/llmfit-notes.md]

The lists come from llmfit-notes.md (section C1, endpoints; C2, query parameters of the model routes; C5, the
plan body), the evidence from llmfit's recorded answers (tests/data/llmfit). `fleetfit serve --this-machine`
is started in-process on loopback and every recorded request is replayed:

- a route is honoured when fleetfit answers its recorded requests with llmfit's status and llmfit's keys,
  and the route exists (an answer "no route ..." is not honoured, whatever its status);
- a parameter is honoured when, on every recorded request that gives it, fleetfit answers with llmfit's
  status, and on 200 echoes it as llmfit does (or, where llmfit echoes nothing, answers differently from the
  same request without it); a parameter with no recorded request is counted as not shown.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "api"))
sys.path.insert(0, str(REPO))

from tests.api.test_llmfit_parity import RECORDED, REQUESTS, _send, missing_keys  # noqa: E402


def llmfit_lists(notes: str) -> tuple[list[tuple[str, str]], list[list[str]], list[str]]:
    """(routes as (method, path), parameters as [name, aliases...], plan body fields) from the notes."""
    c1 = notes.split("### C1.", 1)[1].split("### C2.", 1)[0]
    c2 = notes.split("### C2.", 1)[1].split("### C3.", 1)[0]
    c5 = notes.split("### C5.", 1)[1].split("### C6.", 1)[0]
    routes = []
    for line in c1.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for method, path in re.findall(r"(GET|POST) `([^`]+)`", cells[0] if cells else ""):
            routes.append((method, path))
            if " and " in cells[0] and path == "/":  # "GET `/` and unknown non-API paths": one route
                break
    params = []
    for line in c2.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.strip("|").split("|")[0]
        params.append(re.findall(r"`([a-z_]+)`", first))
    body = re.search(r"Body: (.*?)Response\s+keys", c5, re.S)
    plan_fields = sorted(set(re.findall(r"`([a-z_]+)`", body.group(1) if body else "")) - {"tq", "fp16", "fp8"})
    plan_fields = [f for f in plan_fields if f not in ("q8_0", "q4_0")]
    return routes, params, plan_fields


def _route_of(path: str) -> str:
    bare = path.split("?", 1)[0]
    if bare.startswith("/api/v1/models/") and bare not in ("/api/v1/models/top", "/api/v1/models/"):
        return "/api/v1/models/{name}"
    if bare.startswith("/api/v1/download/"):
        return "/api/v1/download/{id}/status"
    return bare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    candidates = [up / "shared" / "reference" / "llmfit-notes.md" for up in (REPO.parent, REPO.parent.parent)]
    default = next((c for c in candidates if c.exists()), candidates[0])
    parser.add_argument("--notes", default=str(default), help="llmfit-notes.md (default ../shared/reference/)")
    args = parser.parse_args()
    routes, params, plan_fields = llmfit_lists(Path(args.notes).read_text(encoding="utf-8"))

    from fleetfit.api import services
    from fleetfit.dropin import this_machine_report
    from fleetfit.server import make_server

    with tempfile.TemporaryDirectory() as scratch:
        srv = make_server(
            "127.0.0.1", 0, db_path=f"{scratch}/f.db", this_machine=this_machine_report(discover_runtimes=list)
        )
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        ours = {r["id"]: _send(srv, r) for r in REQUESTS}
        baselines: dict[str, Any] = {}
        for r in REQUESTS:
            if r.get("query"):
                bare = {**r, "query": {}}
                baselines[r["id"]] = _send(srv, bare)
        srv.shutdown()
        srv.server_close()
        services.configure(None)

    def matches(ident: str) -> bool:
        status, body = ours[ident]
        theirs = RECORDED[ident]
        if status != theirs["status"]:
            return False
        if isinstance(body, dict) and str(body.get("error", "")).startswith("no route"):
            return False
        return status != 200 or not missing_keys(theirs["body"], body)

    print("llmfit 1.1.17 routes (llmfit-notes C1) answered by fleetfit serve --this-machine:")
    honoured_routes = 0
    for method, path in routes:
        idents = [r["id"] for r in REQUESTS if r["method"] == method and _route_of(r["path"]) == path]
        if path == "/":
            idents = [r["id"] for r in REQUESTS if r["path"] == "/"]
        ok = bool(idents) and all(matches(i) for i in idents)
        honoured_routes += ok
        print(f"  {'yes' if ok else 'no ':3} {method:4} {path:32} ({len(idents)} recorded request(s))")

    print("llmfit query parameters (llmfit-notes C2) honoured on the model routes:")
    honoured_params = 0
    for names in params:
        cases = [r for r in REQUESTS if r.get("query") and set(r["query"]) & set(names)]
        verdicts = []
        for r in cases:
            status, body = ours[r["id"]]
            if status != RECORDED[r["id"]]["status"]:
                verdicts.append(False)
                continue
            if status != 200:
                verdicts.append(True)
                continue
            theirs = RECORDED[r["id"]]["body"].get("filters", {})
            echoed = [k for k in r["query"] if k in theirs and theirs[k] is not None]
            if echoed:
                verdicts.append(all(body["filters"].get(k) == theirs[k] for k in echoed))
            else:
                verdicts.append(body != baselines[r["id"]][1])
        ok = bool(verdicts) and all(verdicts)
        honoured_params += ok
        shown = f"{len(cases)} recorded request(s)" if cases else "no recorded request"
        print(f"  {'yes' if ok else 'no ':3} {' / '.join(names):32} ({shown})")

    plan_cases = [r for r in REQUESTS if r["path"] == "/api/v1/plan"]
    plan_seen = {k for r in plan_cases for k in r.get("body", {})}
    plan_ok = [f for f in plan_fields if f in plan_seen and all(matches(r["id"]) for r in plan_cases)]
    print(f"POST /api/v1/plan body fields (llmfit-notes C5) shown honoured: {len(plan_ok)}/{len(plan_fields)} "
          f"({', '.join(plan_ok)}; not recorded: {', '.join(f for f in plan_fields if f not in plan_seen) or 'none'})")  # fmt: skip
    print(f"routes honoured: {honoured_routes}/{len(routes)}")
    print(f"parameters honoured: {honoured_params}/{len(params)}")
    total = honoured_routes + honoured_params + len(plan_ok)
    print(f"API parity: {total}/{len(routes) + len(params) + len(plan_fields)} (routes + parameters + plan fields)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
