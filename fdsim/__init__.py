"""fdsim: a cycle-level, bit-true simulator of frequency-domain CNN training accelerators.

The public API, on specs::

    import fdsim

    hardware = fdsim.load_hardware("hwconfigs/fdtrain_28nm.yaml")
    workload = fdsim.load_workload("workloads/lenet5.yaml")
    narrow = fdsim.override(hardware, {"cmac.lanes": 128})
    result = fdsim.simulate(narrow, workload, energy=fdsim.load_energy_table("45nm"))
    result.layers  # a pandas DataFrame, one row per layer and phase

Names are imported on first use (the module ``__getattr__`` below): ``import fdsim`` stays
cheap, so the command line starts fast and handles Ctrl-C from its first moment.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from fdsim.api import load_energy_table, load_hardware, load_workload, simulate
    from fdsim.errors import ConfigError, FdsimError
    from fdsim.results import RunResult, reprice
    from fdsim.run_folder import load_result
    from fdsim.spec.energy import EnergyTable
    from fdsim.spec.hardware import HardwareSpec
    from fdsim.spec.override import override
    from fdsim.spec.workload import Workload
    from fdsim.vocabulary import Phase

_HOMES = {
    "load_hardware": "fdsim.api",
    "load_workload": "fdsim.api",
    "load_energy_table": "fdsim.api",
    "simulate": "fdsim.api",
    "override": "fdsim.spec.override",
    "RunResult": "fdsim.results",
    "load_result": "fdsim.run_folder",
    "reprice": "fdsim.results",
    "ConfigError": "fdsim.errors",
    "FdsimError": "fdsim.errors",
    "Phase": "fdsim.vocabulary",
    "HardwareSpec": "fdsim.spec.hardware",
    "Workload": "fdsim.spec.workload",
    "EnergyTable": "fdsim.spec.energy",
}
"""The module each public name lives in."""

__all__ = [
    "ConfigError",
    "EnergyTable",
    "FdsimError",
    "HardwareSpec",
    "Phase",
    "RunResult",
    "Workload",
    "__version__",
    "load_energy_table",
    "load_hardware",
    "load_result",
    "load_workload",
    "override",
    "reprice",
    "simulate",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept here after."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fdsim' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
