"""One machine, no server: store a report in the embedded store and answer with the node's top models.

``fleetfit probe --local`` calls ``ingest_local``. It imports only the store and the engine (no AWS, no
Powertools), so it stays quick on a node.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fleetfit.contract import Envelope, Node, Report


def ingest_local(report: Report, *, db_path: str | None = None) -> Envelope:
    """Store ``report`` (idempotent per report_id, newer-wins) and return the node's top envelope.

    ``db_path`` defaults to ``$XDG_DATA_HOME/fleetfit/fleetfit.db`` (``~/.local/share/fleetfit/fleetfit.db``),
    the same file ``fleetfit serve`` uses, created on demand.
    """
    from fleetfit.catalog import load_bundled
    from fleetfit.engine import fit_envelope, parse_query
    from fleetfit.store.sqlite import SqliteStore, default_db_path

    store = SqliteStore(db_path or default_db_path())
    try:
        result = store.put_report(report, received_at=datetime.now(UTC))
    finally:
        store.close()
    latest = result.latest.report
    node = Node(name=latest.node_id, os=latest.os or "unknown")
    catalog = load_bundled()
    envelope = fit_envelope(latest.system, catalog, parse_query({}, route="top"), node)
    return _with_measurements(envelope, latest, catalog.entries) if latest.runtimes else envelope


def _with_measurements(envelope: Envelope, report: Report, entries: object) -> Envelope:
    """The node's own runtimes mark what it serves (installed) and what it measured (estimate_basis.source)."""
    from fleetfit.catalog.lineage import LineageIndex
    from fleetfit.engine.calibration import Served, apply

    index = LineageIndex(entries)  # type: ignore[arg-type]
    served = []
    for runtime in report.runtimes:
        for m in runtime.models:
            match = index.match(kind=runtime.kind, name=m.name, file=m.file, repo=m.repo, quant=m.quant)
            if match.entry is not None:
                served.append(Served(match.entry, match.quant, runtime.kind, m.measured_decode_tps))
    data = envelope.model_dump(mode="json")
    for row in data["models"]:
        apply(row, served, None)
    return Envelope.model_validate(data)
