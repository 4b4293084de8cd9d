"""Hardware class: the key under which the stores index nodes ("nodes of class K" is one index query).

The fingerprint itself belongs to the engine (``fleetfit.engine.fleet.hardware_class``): it hashes exactly
the System fields the engine reads, with available RAM bucketed, so that every node of a class gets the
same answer as the class's representative System. The stores only record it with each latest report; if
the engine changes the recipe, nodes move to their new class as they next report.
"""

from __future__ import annotations

from fleetfit.contract import System


def hardware_class(system: System) -> str:
    from fleetfit.engine.fleet import hardware_class as engine_hardware_class

    return engine_hardware_class(system)


def class_system(system: System) -> System:
    """The System every node of ``system``'s class is evaluated as (stored once per class in the registry)."""
    from fleetfit.engine.fleet import class_system as engine_class_system

    return engine_class_system(system)
