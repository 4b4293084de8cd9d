"""Store faults found by attacking the API (issue 11): each on both stores where it applies."""

from __future__ import annotations

from datetime import UTC, datetime

from fleetfit.store.base import iso, parse_iso


def test_timestamps_are_fixed_width_so_string_order_is_time_order() -> None:
    early, late = datetime(999, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    assert iso(early) == "0999-06-01T00:00:00.000000Z"
    assert len(iso(early)) == len(iso(late)) and iso(early) < iso(late)
    assert parse_iso(iso(early)) == early
