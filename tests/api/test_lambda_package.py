"""What runs in the Lambda: imports no node-side dependency, and routes model names with '/'."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fleetfit.api.handler import normalize_model_path

ROOT = Path(__file__).resolve().parents[2]


def test_the_handler_imports_without_probe_dependencies() -> None:
    # psutil and NVML are node-side only: neither the runtime nor the Powertools layer has them.
    code = (
        "import sys\n"
        "for name in ('psutil', 'pynvml', 'probe_client'):\n"
        "    sys.modules[name] = None\n"
        "import fleetfit.api.handler, fleetfit.store.dynamodb, fleetfit.api.catalogs\n"
        "from fleetfit.api.engine_port import real_engine\n"
        "real_engine().load_bundled()\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "functions")
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/models/top", "/api/v1/models/top"),
        ("/api/v1/models/Qwen/Qwen2.5-7B", "/api/v1/models/Qwen%2FQwen2.5-7B"),
        ("/api/v1/models/Qwen%2FQwen2.5-7B", "/api/v1/models/Qwen%2FQwen2.5-7B"),
        ("/api/v1/models/Qwen%2fQwen2.5-7B/", "/api/v1/models/Qwen%2FQwen2.5-7B"),
        ("/api/v1/nodes/n1/models/a/b/c", "/api/v1/nodes/n1/models/a%2Fb%2Fc"),
        ("/api/v1/nodes/n1/models/top", "/api/v1/nodes/n1/models/top"),
        ("/api/v1/models", "/api/v1/models"),
        ("/api/v1/nodes/n1", "/api/v1/nodes/n1"),
    ],
)
def test_model_paths_are_normalised_for_the_router(path: str, expected: str) -> None:
    assert normalize_model_path(path) == expected


def test_lambda_init_loads_the_catalog_and_survives_a_missing_bucket(tmp_path: Path) -> None:
    code = (
        "import fleetfit.api.handler as h\n"
        "from fleetfit.api.services import current\n"
        "info = current().catalogs.info()\n"
        "print(info.source, info.models > 0)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_LAMBDA_FUNCTION_NAME": "fleetfit-api",
        "FLEETFIT_DB_PATH": str(tmp_path / "fleet.db"),
        "FLEETFIT_CATALOG_BUCKET": "no-such-bucket-fleetfit-test",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",  # nothing listens: S3 unreachable, fast
        "AWS_MAX_ATTEMPTS": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "fleetfit",
    }
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "bundled True"
    assert "using the bundled catalog" in out.stdout + out.stderr
