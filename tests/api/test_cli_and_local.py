"""`fleetfit serve|catalog` registration, `catalog publish` against moto S3, and ``ingest_local``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from fleetfit.api.cli import register
from fleetfit.store.samples import apple_m3_max, sample_report
from fleetfit.store.sqlite import SqliteStore

from .support import BUCKET


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleetfit")
    register(parser.add_subparsers(dest="command"))
    return parser


def test_serve_arguments_and_defaults() -> None:
    args = _parser().parse_args(["serve"])
    assert (args.host, args.port, args.db, args.token_file) == ("127.0.0.1", 8787, None, None)
    args = _parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9000", "--db", "x.db"])
    assert (args.host, args.port, args.db) == ("0.0.0.0", 9000, "x.db")
    assert callable(args.func)


def test_serve_refuses_a_public_bind_without_token(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.delenv("FLEETFIT_TOKEN", raising=False)
    args = _parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "0"])
    assert args.func(args) == 2
    assert "without a token" in capsys.readouterr().err


def test_catalog_publish_then_info_from_s3(aws: dict[str, Any], capsys: Any) -> None:
    args = _parser().parse_args(["catalog", "publish", "--bucket", BUCKET])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"s3://{BUCKET}/catalog/catalog.json.gz" in out
    head = aws["s3"].head_object(Bucket=BUCKET, Key="catalog/catalog.json.gz")
    assert head["ContentType"] == "application/gzip" and head["Metadata"]["catalog-version"]
    args = _parser().parse_args(["catalog", "info", "--bucket", BUCKET])
    assert args.func(args) == 0
    published = json.loads(capsys.readouterr().out)
    args = _parser().parse_args(["catalog", "info"])
    assert args.func(args) == 0
    bundled = json.loads(capsys.readouterr().out)
    assert published["version"] == bundled["version"] and published["models"] == bundled["models"] > 0


def test_publish_refuses_an_invalid_file(tmp_path: Path, aws: dict[str, Any], capsys: Any) -> None:
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"not a catalog")
    args = _parser().parse_args(["catalog", "publish", "--bucket", BUCKET, "--file", str(bad)])
    assert args.func(args) == 2
    assert "KeyCount" not in aws["s3"].list_objects_v2(Bucket=BUCKET) or not aws["s3"].list_objects_v2(
        Bucket=BUCKET
    ).get("Contents")


def test_ingest_local_stores_and_answers_top(tmp_path: Path) -> None:
    from fleetfit.local import ingest_local

    db = tmp_path / "sub" / "fleet.db"
    report = sample_report("laptop", system=apple_m3_max())
    env = ingest_local(report, db_path=str(db))
    assert env.node.name == "laptop" and env.returned_models <= 5
    assert all(m.fit_level != "too_tight" for m in env.models)
    assert db.exists()
    again = ingest_local(report, db_path=str(db))
    assert again.model_dump() == env.model_dump()
    store = SqliteStore(db)
    assert len(store.history("laptop", limit=10).items) == 1
    store.close()


def test_ingest_local_defaults_to_the_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from fleetfit.store.sqlite import default_db_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "fleetfit" / "fleetfit.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db_path().parts[-4:] == (".local", "share", "fleetfit", "fleetfit.db")
