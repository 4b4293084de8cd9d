"""`fleetfit probe`: the node agent's command line. Importing this module costs argparse only."""

from __future__ import annotations

import argparse
import os

DESCRIPTION = """\
Detect this node's hardware (the System object), post it as a report to the fleetfit API and print what
the server answers. Every report is written to the spool before it is sent and leaves it only after a 2xx,
so a report collected during an outage is delivered by a later run, oldest first, exactly once.

Inference servers: the probe reads what llama-server, Ollama, vLLM, SGLang and LM Studio serve on their
default loopback ports (and any --runtime-url) with read-only GETs, within 1 s; nothing is started and no
prompt is sent unless --bench is given.

Authentication: SigV4 (service execute-api, credentials from the standard AWS chain) when the endpoint is an
API Gateway URL or --sigv4 is given; otherwise a bearer token from --token-file or FLEETFIT_TOKEN.
"""

EPILOG = """\
exit codes:
  0  delivered (or, with --local, stored)
  1  other error (the server refused this report for good, --local unavailable, unexpected failure)
  2  bad configuration (endpoint, token, credentials, --system file, or the server said 401/403/404)
  3  spooled for later (server unreachable, 429 or 5xx after retries); the next run sends it

environment:
  FLEETFIT_ENDPOINT    API base URL when --endpoint is not given
  FLEETFIT_TOKEN       bearer token when --token-file is not given
  FLEETFIT_SPOOL_DIR   spool directory when --spool-dir is not given
                       (default /var/spool/fleetfit as root, else ~/.local/state/fleetfit/spool)
  FLEETFIT_LOG_LEVEL   stderr log level (default WARNING; INFO shows which hardware source was used)
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `probe` subcommand; `args.func(args)` runs it and returns the exit code."""
    parser = subparsers.add_parser(
        "probe",
        help="report this node's hardware to the fleetfit API",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=main)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", metavar="URL", help="fleetfit API base URL (or FLEETFIT_ENDPOINT)")
    parser.add_argument("--token-file", metavar="FILE", help="file holding the bearer token (or FLEETFIT_TOKEN)")
    parser.add_argument(
        "--node-id",
        metavar="ID",
        help="node id (default: EC2 instance id, else a hash of /etc/machine-id, else the hostname)",
    )
    parser.add_argument("--spool-dir", metavar="DIR", help="where reports wait until delivered")
    parser.add_argument(
        "--splay",
        metavar="SECONDS",
        type=float,
        default=0.0,
        help="wait a random 0..SECONDS first, so a fleet on one schedule does not arrive at once",
    )
    parser.add_argument(
        "--system",
        metavar="FILE",
        help="send the System object in FILE ('-' for stdin) instead of detecting this node",
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="store the report in the embedded local store and print the table",
    )
    parser.add_argument("--json", action="store_true", help="print the server's envelope as JSON")
    parser.add_argument("--sigv4", action="store_true", help="sign with AWS SigV4 whatever the endpoint")
    parser.add_argument(
        "--runtime-url",
        metavar="URL",
        action="append",
        default=[],
        help="an inference server to read besides the default loopback ports (repeatable)",
    )
    parser.add_argument(
        "--no-runtimes",
        action="store_true",
        help="do not look for inference servers (llama-server, Ollama, vLLM, SGLang, LM Studio)",
    )
    parser.add_argument(
        "--bench",
        metavar="MODEL_FILE",
        help="run llama-bench on this GGUF file (when on the PATH) and report its decode and prompt rates",
    )


def main(args: argparse.Namespace) -> int:
    from probe_client import logs
    from probe_client.run import ProbeArgs, run_probe

    logs.configure(os.environ)
    return run_probe(
        ProbeArgs(
            endpoint=args.endpoint,
            token_file=args.token_file,
            node_id=args.node_id,
            spool_dir=args.spool_dir,
            splay=args.splay,
            system=args.system,
            local=args.local,
            json=args.json,
            sigv4=args.sigv4,
            runtime_urls=args.runtime_url,
            no_runtimes=args.no_runtimes,
            bench=args.bench,
        )
    )
