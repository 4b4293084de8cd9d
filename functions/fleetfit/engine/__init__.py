"""The fit engine: pure functions of (System, catalog entry, options) -> Model object. No I/O, no AWS."""

from fleetfit.engine.query import (
    Query,
    QueryError,
    envelope_dict,
    envelope_json,
    fit_envelope,
    fit_rows,
    parse_query,
    select,
)

__all__ = [
    "Query",
    "QueryError",
    "envelope_dict",
    "envelope_json",
    "fit_envelope",
    "fit_rows",
    "parse_query",
    "select",
]
