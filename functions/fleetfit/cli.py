"""`fleetfit`: the command line. Each subcommand imports what it needs when it runs, so `--help` is instant.

    fleetfit fit [--json] [--system FILE] [--model NAME] [--quant Q] [--max-context N] [--group G] [filters]
    fleetfit system [--json]
    fleetfit probe ...           (probe_client.cli)
    fleetfit serve | catalog ... (fleetfit.api.cli)

Exit codes: 0 success, 1 unknown model or other error, 2 bad input (system file, option value).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

# Other packages add their subcommands through a `register(subparsers)` function.
PLUGINS = ("probe_client.cli", "fleetfit.api.cli", "fleetfit.fleet.cli")
TABLE_LIMIT = 25


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _add_fit(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "fit",
        help="which models fit this machine (or a System JSON file), ranked",
        description="Rank the catalog's models for this machine: fit, run mode, quant, memory, speed, score.",
    )
    parser.add_argument("--json", action="store_true", help="print the API envelope as JSON")
    parser.add_argument("--system", metavar="FILE", help="evaluate the System object in FILE ('-' for stdin)")
    parser.add_argument("--model", metavar="NAME", help="only this catalog model (exact name, any case)")
    parser.add_argument(
        "--quant",
        metavar="Q",
        help="force any llama.cpp quant, any case: Q4_K_M, IQ4_XS, Q5_K_S, BF16, UD-Q4_K_XL, ... (a wrong one lists all)",
    )
    parser.add_argument(
        "--prompt-tokens", metavar="N", help="prompt length prefill and time to first token assume (512)"
    )
    parser.add_argument(
        "--kv-quant", metavar="T", help="KV-cache type: f16 (default), bf16, q8_0, q4_0, ... (llama.cpp -ctk/-ctv)"
    )
    parser.add_argument("--max-context", metavar="N", help="context tokens the memory estimate assumes")
    parser.add_argument("--limit", metavar="N", help=f"rows to return (table default {TABLE_LIMIT}, JSON all)")
    parser.add_argument("--min-fit", metavar="LEVEL", help="perfect, good, marginal (default) or too_tight")
    parser.add_argument("--perfect", action="store_true", help="only perfect fits")
    parser.add_argument("--include-too-tight", action="store_true", help="also list models that do not fit")
    parser.add_argument("--use-case", metavar="U", help="general, coding, reasoning, chat, multimodal, embedding")
    parser.add_argument("--provider", metavar="P", help="provider name contains P")
    parser.add_argument("--search", metavar="TEXT", help="name, provider, size or use case contains TEXT")
    parser.add_argument("--sort", metavar="KEY", help="score (default), tps, params, mem, ctx, date, use_case")
    parser.add_argument("--runtime", metavar="R", help="any (default), mlx or llamacpp")
    parser.add_argument("--force-runtime", metavar="R", help="analyse with llamacpp or mlx (Apple Silicon) only")
    parser.add_argument("--license", metavar="L", help="only models under any of these licenses (comma list)")
    parser.add_argument("--ram-gb", metavar="GB", help="what-if: total RAM (the machine's free share kept)")
    parser.add_argument("--vram-gb", metavar="GB", help="what-if: memory per card of the primary GPU (0: no GPU)")
    parser.add_argument("--cpu-cores", metavar="N", help="what-if: logical CPU cores")
    parser.add_argument(
        "--group",
        metavar="G",
        help="base (default): one row per variant group (fine-tunes, re-uploads, repacks of one base model); "
        "none: every catalog entry (the default with --search or --model)",
    )
    parser.set_defaults(func=run_fit)


def _add_system(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("system", help="this machine's System object")
    parser.add_argument("--json", action="store_true", help="print the System object as JSON")
    parser.set_defaults(func=run_system)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleetfit",
        description="Which open LLMs can each machine in a fleet run, how well, and where should model X go.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_fit(subparsers)
    _add_system(subparsers)
    for module_name in PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not exc.name or not module_name.startswith(exc.name):
                raise
            continue
        module.register(subparsers)
    return parser


def read_system(path: str) -> Any:
    """A System object from a JSON file; CliError(2) names the field that is wrong."""
    from pydantic import ValidationError

    from fleetfit.contract import System

    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    except OSError as exc:
        raise CliError(f"cannot read system file {path}: {exc.strerror}", 2) from exc
    try:
        return System.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(document)"
        if first["type"] == "json_invalid":
            raise CliError(f"system file {path} is not valid JSON: {first['msg']}", 2) from exc
        raise CliError(f"system file {path}: field {where}: {first['msg']}", 2) from exc


def _query_params(args: argparse.Namespace) -> dict[str, str]:
    params: dict[str, str] = {}
    for option in (
        "limit",
        "min_fit",
        "use_case",
        "provider",
        "search",
        "sort",
        "runtime",
        "max_context",
        "quant",
        "kv_quant",
        "prompt_tokens",
        "group",
        "force_runtime",
        "license",
        "ram_gb",
        "vram_gb",
        "cpu_cores",
    ):
        value = getattr(args, option)
        if value is not None:
            params[option] = str(value)
    if args.perfect:
        params["perfect"] = "true"
    if args.include_too_tight:
        params["include_too_tight"] = "true"
    if args.model and "min_fit" not in params:
        params["min_fit"] = "too_tight"  # a model asked for by name is shown whatever its fit
    if "group" not in params and not args.model and not args.search:
        params["group"] = "base"  # a recommendation: one row per variant group
    if "limit" not in params and not args.json and not args.model:
        params["limit"] = str(TABLE_LIMIT)
    return params


def run_fit(args: argparse.Namespace) -> int:
    # A one-shot run allocates ~10^6 objects that all live to the end: cyclic GC passes would only cost time,
    # and so would freeing them one by one at exit (the `fleetfit` command ends the process without it).
    global _SKIP_TEARDOWN
    gc.disable()
    _SKIP_TEARDOWN = True
    from fleetfit.catalog import load_bundled
    from fleetfit.engine import QueryError, envelope_dict, parse_query
    from fleetfit.engine.query import node_of, what_if_system

    if args.system:
        system = read_system(args.system)
    else:
        from probe_client.detect import detect_system

        system = detect_system()
    catalog = load_bundled()
    if args.model and catalog.find(args.model) is None:
        close = catalog.suggest(args.model)
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        raise CliError(f"unknown model {args.model!r}{hint}", 1)
    try:
        query = parse_query(_query_params(args), route="models", name=args.model)
        system = what_if_system(system, query)
    except QueryError as exc:
        raise CliError(f"--{exc.param.replace('_', '-')}: {exc}", 2) from exc
    try:
        if args.json:
            from fleetfit.parallel import envelope_json_pieces

            sys.stdout.writelines(envelope_json_pieces(system, catalog, query, node_of()))
            sys.stdout.write("\n")
        else:
            from fleetfit.render import render_table

            print(render_table(envelope_dict(system, catalog, query, node_of())))
    except QueryError as exc:  # a combination only the analysis can refuse (force_runtime=mlx off Apple)
        raise CliError(f"--{exc.param.replace('_', '-')}: {exc}", 2) from exc
    return 0


def run_system(args: argparse.Namespace) -> int:
    from probe_client.detect import detect_system

    system = detect_system()
    if args.json:
        print(system.model_dump_json(indent=2))
    else:
        from fleetfit.render import system_line

        print(system_line(system.model_dump(mode="json")))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # pydantic looks for plugins in every installed distribution's entry points on first use (~50 ms);
    # the CLI uses none. A caller who wants plugins can still set the variable themselves.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"fleetfit: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


# Set by a command whose objects all live to its end (fit): the console script then ends the process without
# the interpreter's teardown, which frees every object one by one (~80 ms after a full-catalog listing).
_SKIP_TEARDOWN = False


def entry() -> None:
    """The `fleetfit` console script: main(), then exit (os._exit once the output is flushed, where a command
    asked for it; tests call main() and keep their process)."""
    code = main()
    if not _SKIP_TEARDOWN:
        raise SystemExit(code)
    with contextlib.suppress(BrokenPipeError):  # the reader went away: nothing more to say
        sys.stdout.flush()
    sys.stderr.flush()
    logging = sys.modules.get("logging")
    if logging is not None:  # flush what a handler still holds (atexit would)
        logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    entry()
