"""Tables for `fleetfit fleet ...` (plain text, no colour: output is often piped or logged)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fleetfit.render import system_line, table

# Vendor words dropped when a mixed node's cards are listed side by side ("RTX 4090 + RTX 3090").
_VENDOR_PREFIXES = ("NVIDIA GeForce ", "NVIDIA ", "AMD Radeon ", "AMD ", "Intel(R) ", "Intel ")


def _short(name: str) -> str:
    for prefix in _VENDOR_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return name


def _gpu(row: Mapping[str, Any]) -> str:
    """ "8x NVIDIA H100 80GB HBM3"; a node with unlike cards lists each: "RTX 4090 + RTX 3090"."""
    groups = row.get("gpus") or []
    if len({g["name"] for g in groups}) > 1:
        return " + ".join(f"{g['count']}x {_short(g['name'])}" if g["count"] > 1 else _short(g["name"]) for g in groups)
    name, count = row.get("gpu_name"), row.get("gpu_count") or 0
    if not name:
        return "-"
    return f"{count}x {name}" if count > 1 else str(name)


def _seen(row: Mapping[str, Any]) -> str:
    text = str(row["last_seen"])[:16].replace("T", " ")
    return text + (" STALE" if row.get("stale") else "")


def render_nodes(nodes: Sequence[Mapping[str, Any]], *, more: bool = False) -> str:
    if not nodes:
        return "No node has reported yet."
    headers = (("Node", "<"), ("Host", "<"), ("Backend", "<"), ("GPU", "<"), ("VRAM GB", ">"), ("Last seen", "<"))
    rows = [
        [
            n["node_id"],
            n.get("hostname") or "-",
            n["backend"],
            _gpu(n),
            "-" if n.get("gpu_vram_gb") is None else f"{n['gpu_vram_gb']:.0f}",
            _seen(n),
        ]
        for n in nodes
    ]
    stale = sum(1 for n in nodes if n.get("stale"))
    out = [table(headers, rows), "", f"{len(nodes)} nodes, {stale} stale" + (" (more: --limit N)" if more else "")]
    return "\n".join(out)


_FIT_COLUMNS = (
    ("Node", "<"),
    ("GPU", "<"),
    ("Fit", "<"),
    ("Run mode", "<"),
    ("Quant", "<"),
    ("Memory GB", ">"),
    ("tok/s", ">"),
    ("Speed", "<"),
    ("Last seen", "<"),
)


def render_which(answer: Mapping[str, Any]) -> str:
    model = answer["model"]
    head = f"{model['name']} ({model.get('parameter_count') or '?'} params)"
    if not answer["nodes"]:
        filters = {k: v for k, v in answer["filters"].items() if v not in (None, "tps", True) and k != "limit"}
        hint = f" with {filters}" if filters else ""
        return f"{head}: no node runs it at {answer['filters']['min_fit']} or better{hint}."
    rows = [
        [
            n["node_id"],
            _gpu(n),
            n["fit_level"],
            n["run_mode"],
            n["best_quant"],
            f"{n['memory_required_gb']:.1f} / {n['memory_available_gb']:.1f}",
            f"{n['estimated_tps']:.1f}",
            n.get("speed_source", "estimated"),  # measured | calibrated | estimated (physics)
            _seen(n),
        ]
        for n in answer["nodes"]
    ]
    shown, total = answer["returned_nodes"], answer["total_nodes"]
    tail = f"{shown} of {total} nodes in {len(answer['classes'])} hardware classes"
    if answer["stale_nodes"]:
        excluded = not answer["filters"].get("include_stale", True)
        tail += f"; {answer['stale_nodes']} stale" + (" (left out)" if excluded else "")
    if answer.get("next_token"):
        tail += " (more: --limit N or --all)"
    return "\n".join([head, "", table(_FIT_COLUMNS, rows), "", tail])


def render_compare(answer: Mapping[str, Any]) -> str:
    nodes = answer["nodes"]
    out = [f"{n['node_id']}{' (STALE)' if n['stale'] else ''}: {system_line(n['system'])}" for n in nodes]
    headers = [("Model", "<")] + [(n["node_id"], "<") for n in nodes]
    rows = []
    for row in answer["models"]:
        cells = [row["model"]["name"]]
        for fit in row["fits"]:
            if fit["fit_level"] == "too_tight":
                cells.append("too tight")
            else:
                best = " *" if fit["node_id"] == row["best_node"] else ""
                cells.append(f"{fit['fit_level']} {fit['best_quant']} {fit['estimated_tps']:.1f} tok/s{best}")
        rows.append(cells)
    out += ["", table(headers, rows), "", "* fastest node for the model"]
    return "\n".join(out)


def render_summary(s: Mapping[str, Any]) -> str:
    n, c = s["nodes"], s["classes"]
    out = [
        f"{n['total']} nodes ({n['fresh']} fresh, {n['stale']} stale: no report for over "
        f"{s['stale_after_hours']:g} h) in {c['total']} hardware classes",
        "",
    ]
    if s["gpus"]:
        rows = [
            [g["name"], f"{g['vram_gb']:g}", str(g["cards"]), str(g["nodes"]), str(g["stale_nodes"])] for g in s["gpus"]
        ]
        headers = (("GPU", "<"), ("GB each", ">"), ("Cards", ">"), ("Nodes", ">"), ("Stale", ">"))
        out += [table(headers, rows), ""]
    if s["backends"]:
        rows = [[b["backend"], str(b["nodes"]), str(b["stale_nodes"])] for b in s["backends"]]
        out += [table((("Backend", "<"), ("Nodes", ">"), ("Stale", ">")), rows), ""]
    levels = s["models_by_best_fit"]
    runnable = levels["perfect"] + levels["good"] + levels["marginal"]
    out.append(
        f"Catalog ({s['catalog_models']} models): the fleet's fresh nodes run {runnable} — best fit perfect "
        f"{levels['perfect']}, good {levels['good']}, marginal {levels['marginal']}; {levels['too_tight']} fit nowhere"
    )
    if s.get("best_models"):
        rows = [
            [m["name"], f"+{m['variants'] - 1}" if (m["variants"] or 1) > 1 else "", str(m["nodes"]),
             str(m["classes"]), str(m["best_rank"])]
            for m in s["best_models"]
        ]  # fmt: skip
        headers = (("Leads on", "<"), ("Variants", ">"), ("Nodes", ">"), ("Classes", ">"), ("Best rank", ">"))
        out += ["", table(headers, rows)]
    if c["pending"]:
        out.append(f"({c['pending']} of {c['total']} classes not evaluated yet under this catalog: ask again shortly)")
    return "\n".join(out)


def render_placement(p: Mapping[str, Any]) -> str:
    out = [f"{p['model']['name']}: {p['note']}"]
    if p["placed"]:
        rows = [
            [str(r["replica"]), r["node_id"], _cards(r), _gpu(r), _tps(r),
             r.get("speed_source", "estimated"), r["why"]]
            for r in p["placed"]
        ]  # fmt: skip
        headers = (
            ("#", ">"),
            ("Node", "<"),
            ("Cards", "<"),
            ("GPU", "<"),
            ("tok/s", ">"),
            ("Speed", "<"),
            ("Why", "<"),
        )
        out += ["", table(headers, rows)]
    if p["plans"]:
        out += ["", "What would make it fit:"]
        for plan in p["plans"]:
            out.append(f"- {plan['nodes']} node(s) of class {plan['hw_class']} ({_gpu(plan)}, "
                       f"{plan['total_ram_gb']:g} GB RAM): {_plan_line(plan['plan'])}")  # fmt: skip
    return "\n".join(out)


def _tps(row: Mapping[str, Any]) -> str:
    tps = row.get("estimated_tps")
    return "-" if tps is None else f"{tps:.1f}"


def _cards(row: Mapping[str, Any]) -> str:
    cards = row.get("cards")
    if cards is None:
        return "-"
    return ",".join(map(str, cards)) if cards else "CPU"


def _plan_line(plan: Mapping[str, Any]) -> str:
    parts = []
    runs = plan.get("runs_now")
    if runs:
        parts.append(f"runs now at {runs['quant']} ({runs['fit_level']}, {runs['estimated_tps']:.1f} tok/s)")
    for up in plan.get("upgrades", []):
        if up["add_gb"] > 0:
            parts.append(f"{up['target_fit']} at {up['quant']}: add {up['add_gb']:.1f} GB {up['resource']}")
    gpus = plan.get("gpus_that_fit") or []
    if gpus:
        g = gpus[0]
        parts.append(f"or {g['count']}x {g['gpu']} ({g['total_vram_gb']:g} GB) for {g['target_fit']} at {g['quant']}")
    return "; ".join(parts) or "no change in the GPU table makes it fit"
