"""fleetfit node agent: detects this node's hardware and reports it to the fleetfit API."""

__version__ = "0.1.0"
