"""The deployment files agree with each other and with the probe's interface."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from probe_client.__main__ import main

INFRA = Path(__file__).resolve().parents[2] / "infra" / "probe"


def test_cloud_init_embeds_the_unit_files_verbatim() -> None:
    cloud_init = (INFRA / "cloud-init.yaml").read_text()
    assert cloud_init.startswith("#cloud-config\n")
    for unit in ("fleetfit-probe.service", "fleetfit-probe.timer"):
        embedded = "".join(
            f"      {line}" if line.strip() else "\n" for line in (INFRA / unit).read_text().splitlines(True)
        )
        assert embedded in cloud_init, f"{unit} in cloud-init.yaml differs from the file"
    assert "systemctl, enable, --now, fleetfit-probe.timer" in cloud_init


def test_cloud_init_is_valid_yaml() -> None:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((INFRA / "cloud-init.yaml").read_text())
    paths = [f["path"] for f in data["write_files"]]
    assert paths == [
        "/etc/fleetfit/probe.env",
        "/etc/systemd/system/fleetfit-probe.service",
        "/etc/systemd/system/fleetfit-probe.timer",
    ]


def test_timer_spreads_the_fleet() -> None:
    timer = (INFRA / "fleetfit-probe.timer").read_text()
    assert re.search(r"^RandomizedDelaySec=\d+", timer, re.M)
    service = (INFRA / "fleetfit-probe.service").read_text()
    assert "SuccessExitStatus=3" in service


def test_iam_policy_allows_only_the_ingest_route() -> None:
    policy = json.loads((INFRA / "iam-policy.json").read_text())
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == "arn:aws:execute-api:${Region}:${AccountId}:${ApiId}/*/POST/api/v1/reports"


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("fleetfit-probe.service", r"^ExecStart=(/usr/local/bin/fleetfit probe .*)$"),
        ("bearer-token.conf", r"^ExecStart=(/usr/local/bin/fleetfit probe .+)$"),
        ("fleetfit-probe.cron", r"^\*/15 \* \* \* \* root (fleetfit probe [^>]*?) >"),
    ],
)
def test_every_command_line_parses(path: str, pattern: str, monkeypatch: pytest.MonkeyPatch) -> None:
    match = re.search(pattern, (INFRA / path).read_text(), re.M)
    assert match, f"no probe command in {path}"
    argv = shlex.split(match.group(1).replace("%S", "/var/lib").replace("%d", "/run/credentials/x"))[1:]
    ran: list[object] = []

    def fake_main(args: object) -> int:
        ran.append(args)
        return 0

    monkeypatch.setattr("probe_client.cli.main", fake_main)
    assert main(argv) == 0 and len(ran) == 1
