"""The fast path that writes a class's correction into the engine's JSON gives exactly what parsing,
``engine.calibration.apply`` and dumping give."""

from __future__ import annotations

import json
import re

import pytest
from fleetfit.api.measured import _patch_rows
from fleetfit.contract import Envelope, Node
from fleetfit.engine.calibration import Correction, apply
from fleetfit.store.samples import rtx4090_workstation

CORRECTION = Correction("k", "llamacpp", 0.9, 0.8, 1.02, 7, 5, 1, True)


def pick(name: str, quant: str, shape: str = "") -> Correction | None:
    return None if quant == "Q8_0" else CORRECTION  # some rows corrected, some not


@pytest.fixture(scope="module")
def body() -> str:
    from fleetfit.catalog import load_bundled
    from fleetfit.engine import envelope_json, parse_query

    query = parse_query({"limit": "300", "min_fit": "too_tight"}, route="models")
    text = envelope_json(rtx4090_workstation(), load_bundled(), query, Node(name="n", os="linux"))
    return re.sub(r'"notes":\[[^\]]*\]', '"notes":[]', text, count=1)  # one row without notes


def test_patched_text_equals_the_parsed_path(body: str) -> None:
    fast = _patch_rows(body, pick)
    assert fast is not None
    expected = json.loads(body)
    for row in expected["models"]:
        apply(row, [], pick(row["name"], row["best_quant"]), reported=False)  # the patch leaves installed null
    assert json.loads(fast) == expected
    Envelope.model_validate_json(fast)
    assert any(m["estimate_basis"]["source"] == "calibrated" for m in expected["models"])
    assert any(m["estimate_basis"]["source"] == "estimated" for m in expected["models"])


def test_unfamiliar_layouts_take_the_parsing_path(body: str) -> None:
    assert _patch_rows(json.dumps(json.loads(body), indent=1), pick) is None
    assert _patch_rows(body.replace('"source":"estimated","calibration":null', '"source":"estimated"'), pick) is None
