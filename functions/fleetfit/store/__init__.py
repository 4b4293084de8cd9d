"""Fleet stores: the latest report and the history of each node, behind one interface (``Store``).

``DynamoStore`` runs on AWS, ``SqliteStore`` on one machine; one contract test-suite covers both.
"""

from fleetfit.store.base import (
    BadPageToken,
    ClassRecord,
    IngestResult,
    NodeRecord,
    Page,
    ReportConflict,
    ReportRefused,
    Store,
    StoredReport,
    StoreError,
)
from fleetfit.store.keys import hardware_class

__all__ = [
    "BadPageToken",
    "ClassRecord",
    "IngestResult",
    "NodeRecord",
    "Page",
    "ReportConflict",
    "ReportRefused",
    "Store",
    "StoreError",
    "StoredReport",
    "hardware_class",
]
