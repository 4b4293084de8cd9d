"""fleetfit node agent: detects this node's hardware and reports it to the fleetfit API."""
