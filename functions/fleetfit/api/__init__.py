"""The fleetfit HTTP API: one Powertools resolver (``app``) behind the Lambda handler and `fleetfit serve`.

Layers: ``handler`` (entry, pre-routing checks) → ``app`` (routes) → ``services`` (store, catalog source,
engine port) → ``fleetfit.store`` / ``fleetfit.engine``. Importing this package imports nothing heavy.
"""
