"""fleetfit: which open LLMs each machine in a fleet can run, how well, and where model X should go."""

__version__ = "0.1.0"
