"""`fleetfit serve` and `fleetfit catalog publish|info`, registered into the main CLI.

Imports stay light here (argparse only); each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

DEFAULT_CATALOG_KEY = "catalog/catalog.json.gz"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = subparsers.add_parser(
        "serve",
        help="run the fleetfit API on this machine (embedded store, bundled catalog)",
        description="Serve the fleetfit API over HTTP with the embedded SQLite store. A token (from "
        "--token-file or FLEETFIT_TOKEN) is required on every route but /health when set, and is "
        "mandatory when binding beyond loopback.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port (default 8787)")
    serve.add_argument("--db", metavar="PATH", help="SQLite file (default ~/.local/share/fleetfit/fleetfit.db)")
    serve.add_argument("--token-file", metavar="FILE", help="file holding the bearer token")
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host name browsers use to reach this server (repeatable); other names are refused (421) "
        "against DNS rebinding",
    )
    serve.add_argument(
        "--this-machine",
        action="store_true",
        help="drop-in for `llmfit serve`: detect this machine at start-up and answer llmfit's routes for it "
        "with no node= and no token (loopback only; FLEETFIT_TOKEN is not used)",
    )
    serve.set_defaults(func=_serve)

    dashboard = subparsers.add_parser(
        "dashboard",
        help="the dashboard on loopback, its API calls signed with your AWS credentials (like kubectl proxy)",
        description="Serve the dashboard on 127.0.0.1 and forward its /api/v1 calls to --endpoint, signed with "
        "SigV4 from the standard AWS credential chain. Nothing else is forwarded; the credentials never reach "
        "the browser.",
    )
    dashboard.add_argument("--endpoint", required=True, help="the API Gateway URL (the stack's ApiUrl output)")
    dashboard.add_argument("--port", type=int, default=8788, help="loopback port (default 8788)")
    dashboard.add_argument("--region", help="AWS region (default: from the endpoint's name)")
    dashboard.set_defaults(func=_dashboard)

    catalog = subparsers.add_parser("catalog", help="publish or inspect the model catalog")
    verbs = catalog.add_subparsers(dest="catalog_command", metavar="{publish,info}")
    verbs.required = True
    publish = verbs.add_parser(
        "publish", help="upload the catalog to the deployment's S3 bucket (the Lambda picks it up)"
    )
    publish.add_argument("--bucket", required=True, help="the stack's CatalogBucketName output")
    publish.add_argument("--key", default=DEFAULT_CATALOG_KEY, help=f"object key (default {DEFAULT_CATALOG_KEY})")
    publish.add_argument("--file", metavar="PATH", help="catalog file to upload (default: the bundled one)")
    publish.set_defaults(func=_publish)
    info = verbs.add_parser("info", help="version and model count of the bundled or the published catalog")
    info.add_argument("--bucket", help="read the published object instead of the bundled file")
    info.add_argument("--key", default=DEFAULT_CATALOG_KEY)
    info.set_defaults(func=_info)


def _serve(args: argparse.Namespace) -> int:
    from fleetfit.server import ServerConfigError, read_token, serve

    try:
        if args.this_machine:
            from fleetfit.dropin import check_this_machine_bind, this_machine_report

            check_this_machine_bind(args.host)  # before detecting anything
            if args.token_file:
                raise ServerConfigError("--this-machine answers llmfit's clients without a token; drop --token-file")
            if args.db:
                return serve(args.host, args.port, db_path=args.db, this_machine=this_machine_report())
            import tempfile

            with tempfile.TemporaryDirectory(prefix="fleetfit-this-machine-") as scratch:  # stateless, as llmfit
                db = os.path.join(scratch, "fleet.db")
                return serve(args.host, args.port, db_path=db, this_machine=this_machine_report())
        token = read_token(args.token_file, dict(os.environ))
        return serve(args.host, args.port, db_path=args.db, token=token, allow_hosts=tuple(args.allow_host))
    except (ServerConfigError, ValueError, OSError) as exc:
        print(f"fleetfit serve: {exc}", file=sys.stderr)
        return 2


def _dashboard(args: argparse.Namespace) -> int:
    from fleetfit.dashboard.proxy import ProxyConfigError, run_proxy

    try:
        return run_proxy(args.endpoint, port=args.port, region=args.region)
    except (ProxyConfigError, OSError) as exc:
        print(f"fleetfit dashboard: {exc}", file=sys.stderr)
        return 2


def _describe(catalog: Any) -> dict[str, Any]:
    return {"version": catalog.version, "models": len(catalog), "loaded_from": catalog.loaded_from}


def _publish(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fleetfit.catalog import BUNDLED_CATALOG_PATH, CatalogError, load_catalog_bytes

    path = Path(args.file) if args.file else BUNDLED_CATALOG_PATH
    try:
        data = path.read_bytes()
        catalog = load_catalog_bytes(data, str(path))  # never upload what the Lambda would refuse
    except (OSError, CatalogError) as exc:
        print(f"fleetfit catalog publish: {exc}", file=sys.stderr)
        return 2
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        boto3.client("s3").put_object(
            Bucket=args.bucket,
            Key=args.key,
            Body=data,
            ContentType="application/gzip",
            Metadata={"catalog-version": catalog.version},
        )
    except (BotoCoreError, ClientError) as exc:
        print(f"fleetfit catalog publish: upload to s3://{args.bucket}/{args.key} failed: {exc}", file=sys.stderr)
        return 1
    print(f"published catalog {catalog.version} ({len(catalog)} models) to s3://{args.bucket}/{args.key}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from fleetfit.catalog import CatalogError, load_bundled, load_catalog_bytes

    try:
        if args.bucket:
            import boto3
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                obj = boto3.client("s3").get_object(Bucket=args.bucket, Key=args.key)
                catalog = load_catalog_bytes(obj["Body"].read(), f"s3://{args.bucket}/{args.key}")
            except (BotoCoreError, ClientError) as exc:
                print(f"fleetfit catalog info: cannot read s3://{args.bucket}/{args.key}: {exc}", file=sys.stderr)
                return 1
        else:
            catalog = load_bundled()
    except CatalogError as exc:
        print(f"fleetfit catalog info: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(_describe(catalog), indent=2))
    return 0
