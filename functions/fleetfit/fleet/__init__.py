"""Fleet-wide answers (which nodes run model X, compare, summary, placement) and the operator CLI.

``service`` answers from the store's class registry and the engine (no HTTP); the API routes call it.
``client`` and ``cli`` are the operator's side: ``fleetfit fleet ...`` over the API, local or on AWS.
"""
