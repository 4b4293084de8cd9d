"""`python -m probe_client probe ...`: the probe without the rest of the fleetfit CLI."""

from __future__ import annotations

import argparse
import sys

from probe_client.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fleetfit")
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
