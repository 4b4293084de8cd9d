"""Plain-text tables for terminals (no colour codes: output is often piped or logged)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fleetfit.contract import Envelope

MODEL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("#", ">"),
    ("Model", "<"),
    ("Variants", ">"),
    ("Params", ">"),
    ("Fit", "<"),
    ("Run mode", "<"),
    ("Quant", "<"),
    ("Memory GiB", ">"),
    ("tok/s", ">"),
    ("Score", ">"),
)


def table(headers: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]]) -> str:
    """Align columns; each header carries its alignment ("<" or ">")."""
    widths = [len(name) for name, _ in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [
        "  ".join(f"{name:{align}{w}}" for (name, align), w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for row in rows:
        cells = (f"{cell:{align}{w}}" for cell, (_, align), w in zip(row, headers, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def system_line(system: Mapping[str, Any]) -> str:
    gpus = ", ".join(f"{g['count']}x {g['name']} ({g['vram_gb']:g} GiB)" for g in system.get("gpus") or [])
    return (
        f"{system['cpu_name']} ({system['cpu_cores']} threads), RAM {system['available_ram_gb']:.1f} of "
        f"{system['total_ram_gb']:.1f} GiB available, {gpus or 'no GPU'}, backend {system['backend']}"
    )


def render_rows(models: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            str(rank),
            m["name"],
            f"+{m['variants'] - 1}" if (m.get("variants") or 1) > 1 else "",
            m["parameter_count"],
            m["fit_label"],
            m["run_mode_label"],
            m["best_quant"],
            f"{m['memory_required_gb']:.1f} / {m['memory_available_gb']:.1f}",
            f"{m['estimated_tps']:.1f}",
            f"{m['score']:.1f}",
        ]
        for rank, m in enumerate(models, start=1)
    ]
    return table(MODEL_COLUMNS, rows)


def render_envelope(envelope: Mapping[str, Any], *, with_notes: bool = False) -> str:
    models = envelope["models"]
    out = [system_line(envelope["system"]), ""]
    if not models:
        out.append("No model matches these filters.")
    else:
        out.append(render_rows(models))
        if with_notes:
            for m in models:
                if m["notes"]:
                    out.append(f"\n{m['name']}:")
                    out.extend(f"  - {note}" for note in m["notes"])
    shown, total = envelope["returned_models"], envelope["total_models"]
    if shown < total:
        out.append(f"\nShowing {shown} of {total} models (use --limit N or --json for more).")
    return "\n".join(out)


def render_table(envelope: Envelope | Mapping[str, Any]) -> str:
    """Table for an envelope (the probe's --local output and `fleetfit fit`)."""
    data = envelope.model_dump(mode="json") if isinstance(envelope, Envelope) else envelope
    return render_envelope(data, with_notes=len(data["models"]) == 1)
