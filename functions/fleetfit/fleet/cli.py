"""`fleetfit fleet nodes | which MODEL | compare A B… | summary | place MODEL --replicas N`: the operator's
view of the fleet over the API (`fleetfit serve`, or API Gateway signed with SigV4). Tables by default,
the API's JSON with --json. Importing this module costs argparse only.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DESCRIPTION = """\
Ask the fleetfit API about the whole fleet: which nodes run a model, nodes side by side, the fleet summary,
where a model's replicas should go.

Endpoint: --endpoint or FLEETFIT_ENDPOINT (default http://127.0.0.1:8787, `fleetfit serve`).
Authentication: SigV4 (service execute-api, the standard AWS credential chain) when the endpoint is an API
Gateway URL or --sigv4 is given; else a bearer token from --token-file or FLEETFIT_TOKEN; else none.
"""

EPILOG = """\
exit codes:
  0  success
  1  not found (unknown model or node), server error, or the API could not be reached
  2  bad input or configuration (a value the API refused, endpoint, token, credentials, 401/403)
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    fleet = subparsers.add_parser(
        "fleet",
        help="fleet-wide answers over the API: nodes, which, compare, summary, place",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = fleet.add_subparsers(dest="fleet_command", metavar="{nodes,which,compare,summary,place}")
    verbs.required = True

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = verbs.add_parser(name, help=help_text, description=help_text, epilog=EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        parser.add_argument("--endpoint", metavar="URL", help="fleetfit API base URL (or FLEETFIT_ENDPOINT)")
        parser.add_argument("--token-file", metavar="FILE", help="file holding the bearer token (or FLEETFIT_TOKEN)")
        parser.add_argument("--sigv4", action="store_true", help="sign with AWS SigV4 whatever the endpoint")
        parser.add_argument("--json", action="store_true", help="print the API's JSON")
        return parser

    nodes = verb("nodes", "every node: backend, GPUs, last seen, stale")
    nodes.add_argument("--limit", type=int, metavar="N", help="at most N nodes (default: all)")
    nodes.set_defaults(func=run_nodes)

    which = verb("which", "every node that can run MODEL, fastest first")
    which.add_argument("model", metavar="MODEL", help="catalog model name (exact, any case; e.g. Qwen/Qwen3-8B)")
    _listing_options(which)
    which.add_argument("--sort", metavar="KEY", help="tps (default), score, fit, headroom")
    which.add_argument("--fresh-only", action="store_true", help="leave out stale nodes (they are counted)")
    which.add_argument("--limit", type=int, metavar="N", default=None, help="at most N nodes (table default 50)")
    which.add_argument("--all", action="store_true", help="every node (all pages)")
    which.add_argument(
        "--calibration",
        choices=("on", "off"),
        default=None,
        help="on (default): a node's measured speed, else its class's fleet correction; off: physics only",
    )
    which.set_defaults(func=run_which)

    compare = verb("compare", "nodes side by side, for one model or their best models")
    compare.add_argument("nodes", metavar="NODE", nargs="+", help="node ids (1 to 16)")
    compare.add_argument("--model", metavar="NAME", help="one catalog model")
    compare.add_argument("--limit", type=int, metavar="N", help="best models per node when no --model (default 5)")
    _fit_options(compare)
    compare.set_defaults(func=run_compare)

    summary = verb("summary", "nodes fresh and stale, GPU inventory, backends, models the fleet runs")
    summary.set_defaults(func=run_summary)

    place = verb("place", "the best nodes for N replicas of MODEL, each with why; a plan when none fits")
    place.add_argument("model", metavar="MODEL", help="catalog model name")
    place.add_argument(
        "--replicas", type=int, default=1, metavar="N", help="replicas (default 1); a node takes one per card set"
    )
    place.add_argument("--spread", action="store_true", help="at most one replica per node (fault isolation)")
    _listing_options(place)
    place.add_argument("--include-stale", action="store_true", help="also place on stale nodes")
    place.add_argument(
        "--calibration",
        choices=("on", "off"),
        default=None,
        help="on (default): each replica's measured, else fleet-calibrated, speed; off: physics only",
    )
    place.set_defaults(func=run_place)


def _fit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kv-quant", metavar="TYPE", help="KV-cache type: f16 (default), bf16, q8_0, q4_0, ...")
    parser.add_argument(
        "--prompt-tokens", type=int, metavar="N", help="prompt length prefill tok/s and time to first token assume (512)"
    )


def _listing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-fit", metavar="LEVEL", help="perfect, good or marginal (default)")
    parser.add_argument("--quant", metavar="Q", help="force a quant: F16, Q8_0, ..., Q4_K_M, ..., MXFP4")
    parser.add_argument("--max-context", type=int, metavar="N", help="context tokens the memory estimate assumes")
    _fit_options(parser)
    parser.add_argument("--backend", metavar="B", help="only nodes whose backend starts with B (cuda, metal, cpu)")
    parser.add_argument("--gpu", metavar="TEXT", help="only nodes with a card whose name contains TEXT (4090)")


# -- running ------------------------------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Any:
    from fleetfit.fleet.client import FleetClient

    return FleetClient.configure(args.endpoint, args.token_file, sigv4=args.sigv4)


def _guard(run: Any) -> Any:
    """Map client failures to exit codes and one line on stderr."""

    def wrapped(args: argparse.Namespace) -> int:
        from fleetfit.fleet.client import ApiError, ClientConfigError, Unreachable

        try:
            return int(run(args, _client(args)))
        except ClientConfigError as exc:
            return _fail(f"fleetfit fleet: {exc}", 2)
        except ApiError as exc:
            code = 2 if exc.status in (400, 401, 403, 405, 413, 415, 422) else 1
            return _fail(f"fleetfit fleet: {exc.status}: {exc.message}", code)
        except Unreachable as exc:
            return _fail(f"fleetfit fleet: cannot reach the API: {exc}", 1)

    wrapped.__name__ = run.__name__
    return wrapped


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _nodes(args: argparse.Namespace, client: Any) -> int:
    limit = args.limit
    if limit is not None and limit < 1:
        return _fail("fleetfit fleet nodes: --limit must be at least 1", 2)
    nodes: list[dict[str, Any]] = []
    token = None
    while True:
        page_size = 1000 if limit is None else min(1000, limit - len(nodes))
        page = client.get("/api/v1/nodes", {"limit": page_size, "next_token": token})
        nodes += page["nodes"]
        token = page["next_token"]
        if token is None or (limit is not None and len(nodes) >= limit):
            break
    if args.json:
        _dump({"nodes": nodes, "next_token": token})
        return 0
    from fleetfit.fleet.render import render_nodes

    print(render_nodes(nodes, more=token is not None))
    return 0


def _which(args: argparse.Namespace, client: Any) -> int:
    from fleetfit.fleet.client import model_path

    query = {
        **_listing_query(args),
        "sort": args.sort,
        "include_stale": False if args.fresh_only else None,
        "calibration": args.calibration,
    }
    if args.all:
        want = None  # every page
    elif args.limit is not None:
        want = args.limit
    else:
        want = 100 if args.json else 50
    if want is not None and want < 1:
        return _fail("fleetfit fleet which: --limit must be at least 1", 2)
    path = model_path("/api/v1/fleet/models/", args.model)
    answer: dict[str, Any] | None = None
    token = None
    while True:
        got = len(answer["nodes"]) if answer else 0
        size = 1000 if want is None else min(1000, want - got)
        page = client.get(path, {**query, "limit": size, "next_token": token})
        if answer is None:
            answer = page
        else:
            answer["nodes"] += page["nodes"]
        token = page["next_token"]
        if token is None or (want is not None and len(answer["nodes"]) >= want):
            break
    assert answer is not None
    answer["returned_nodes"], answer["next_token"] = len(answer["nodes"]), token
    if args.json:
        _dump(answer)
        return 0
    from fleetfit.fleet.render import render_which

    print(render_which(answer))
    return 0


def _compare(args: argparse.Namespace, client: Any) -> int:
    query = {
        "nodes": ",".join(args.nodes),
        "model": args.model,
        "limit": args.limit,
        "kv_quant": args.kv_quant,
        "prompt_tokens": args.prompt_tokens,
    }
    answer = client.get("/api/v1/fleet/compare", query)
    if args.json:
        _dump(answer)
        return 0
    from fleetfit.fleet.render import render_compare

    print(render_compare(answer))
    return 0


def _summary(args: argparse.Namespace, client: Any) -> int:
    answer = client.get("/api/v1/fleet/summary")
    if args.json:
        _dump(answer)
        return 0
    from fleetfit.fleet.render import render_summary

    print(render_summary(answer))
    return 0


def _place(args: argparse.Namespace, client: Any) -> int:
    body: dict[str, Any] = {"model": args.model, "replicas": args.replicas, "include_stale": args.include_stale}
    if args.spread:
        body["spread"] = True
    if args.calibration is not None:
        body["calibration"] = args.calibration
    for key, value in _listing_query(args).items():
        if value is not None:
            body[key] = value
    answer = client.post("/api/v1/fleet/placement", body)
    if args.json:
        _dump(answer)
        return 0
    from fleetfit.fleet.render import render_placement

    print(render_placement(answer))
    return 0


def _listing_query(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "min_fit": args.min_fit,
        "quant": args.quant,
        "max_context": args.max_context,
        "kv_quant": args.kv_quant,
        "prompt_tokens": args.prompt_tokens,
        "backend": args.backend,
        "gpu": args.gpu,
    }


run_nodes = _guard(_nodes)
run_which = _guard(_which)
run_compare = _guard(_compare)
run_summary = _guard(_summary)
run_place = _guard(_place)
