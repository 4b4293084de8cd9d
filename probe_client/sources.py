"""What every vendor module returns, and the ordered-fallback rule they all share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fleetfit.contract import Backend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GpuRecord:
    """One physical GPU as a source saw it."""

    name: str
    backend: Backend
    vram_bytes: int | None  # memory of this card; None when the source cannot tell
    free_bytes: int | None = None
    unified: bool = False  # shares system RAM (Apple, GB10, AMD APUs): VRAM becomes total RAM


class SourceAbsent(Exception):
    """The source is not on this node (library, tool or driver missing): try the next one quietly."""


class SourceFailed(Exception):
    """The source is there but broke: try the next one, and tell the operator."""


Source = tuple[str, Callable[[], list[GpuRecord]]]


def first_working(vendor: str, sources: Sequence[Source], notes: list[str]) -> list[GpuRecord]:
    """Return the GPUs of the first source that answers; note every failure and every fallback used.

    A source that answers with an empty list ends the search: it ran and saw no GPU of this vendor.
    """
    passed: list[str] = []
    for label, read in sources:
        try:
            records = read()
        except SourceAbsent as exc:
            passed.append(f"{label} unavailable: {exc}")
            continue
        except SourceFailed as exc:
            note = f"{vendor}: {label} failed: {exc}"
            notes.append(note)
            log.warning("%s", note)
            passed.append(f"{label} failed")
            continue
        if records and passed:
            note = f"{vendor}: {len(records)} GPU(s) read from {label} ({'; '.join(passed)})"
            notes.append(note)
            log.info("%s", note)
        return records
    return []
