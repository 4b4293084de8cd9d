"""Every answer for the reference Systems over the whole catalog is what tests/tools/golden.json recorded.

A change meant to change answers re-records them (`python tests/tools/golden.py --record`) and says why in
its commit; a speed-up never does.
"""

from __future__ import annotations

import json

from fleetfit.catalog import load_bundled

from tests.tools.golden import RECORD, digests


def test_every_golden_envelope_is_unchanged() -> None:
    expected = json.loads(RECORD.read_text())
    found = digests(load_bundled())
    assert found.keys() == expected.keys()
    changed = sorted(case for case in expected if expected[case] != found[case])
    assert not changed, f"answers changed for {changed}: re-record only if meant (tests/tools/golden.py --record)"
