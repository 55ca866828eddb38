"""Every shipped input file validates, and every shipped workload compiles a whole training step
(fwd, bwd_data, bwd_weight, update) on the default hardware.

Walks ``hwconfigs/*.yaml`` (not ``hwconfigs/fft_ip/``, which holds FFT-core descriptions with their
own tests), ``hwconfigs/energy/*.yaml`` and ``workloads/*.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fdsim.errors import SpecFieldError
from fdsim.schedule.compile import compile_schedule
from fdsim.spec.load import (
    SHIPPED_ENERGY_TABLES,
    energy_table_path,
    load_energy_table,
    load_fft_core,
    load_hardware,
    load_workload,
    shipped_energy_tables,
)

ROOT = Path(__file__).parent.parent
HWCONFIGS = ROOT / "hwconfigs"
DEFAULT_HARDWARE = HWCONFIGS / "fdtrain_28nm.yaml"
DEFAULT_WORKLOAD = ROOT / "workloads" / "lenet5.yaml"

# Units a hardware file may leave out (fdsim/spec/hardware.py: "left out means no such unit").
OPTIONAL_UNITS = ("fft", "cmac", "crop", "activation", "update", "systolic_array")


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml"))  # not recursive: hwconfigs/fft_ip/ is skipped


HARDWARE_FILES = _files(HWCONFIGS)
ENERGY_FILES = _files(HWCONFIGS / "energy")
WORKLOAD_FILES = _files(ROOT / "workloads")


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(ROOT)) for path in paths]


def test_the_shipped_inputs_exist() -> None:
    assert DEFAULT_HARDWARE in HARDWARE_FILES
    assert DEFAULT_WORKLOAD in WORKLOAD_FILES
    assert ENERGY_FILES, "no energy tables shipped"


@pytest.mark.parametrize("path", HARDWARE_FILES, ids=_ids(HARDWARE_FILES))
def test_hardware_validates_and_names_an_existing_energy_table(path: Path) -> None:
    loaded = load_hardware(path)
    table = energy_table_path(loaded)
    assert table.is_file(), f"{path.name}: energy_table {loaded.spec.energy_table} not found"
    load_energy_table(table)


@pytest.mark.parametrize("path", ENERGY_FILES, ids=_ids(ENERGY_FILES))
def test_energy_table_validates(path: Path) -> None:
    load_energy_table(path)


@pytest.mark.parametrize("path", WORKLOAD_FILES, ids=_ids(WORKLOAD_FILES))
def test_workload_validates(path: Path) -> None:
    load_workload(path)


def test_default_hardware_has_every_frequency_domain_unit() -> None:
    spec = load_hardware(DEFAULT_HARDWARE).spec
    for unit in ("fft", "cmac", "crop", "activation", "update"):
        assert getattr(spec, unit) is not None, f"default hardware lacks {unit}"


@pytest.mark.parametrize("path", WORKLOAD_FILES, ids=_ids(WORKLOAD_FILES))
def test_workload_compiles_on_the_default_hardware(path: Path) -> None:
    schedule = compile_schedule(load_workload(path).spec, load_hardware(DEFAULT_HARDWARE).spec)
    assert schedule.ops


OTHER_HARDWARE = [path for path in HARDWARE_FILES if path != DEFAULT_HARDWARE]
PAIRS = [(hw, wl) for hw in OTHER_HARDWARE for wl in WORKLOAD_FILES]


@pytest.mark.parametrize(
    ("hardware_path", "workload_path"),
    PAIRS,
    ids=[f"{hw.stem}-{wl.stem}" for hw, wl in PAIRS],
)
def test_workload_compiles_unless_the_hardware_lacks_a_unit(
    hardware_path: Path, workload_path: Path
) -> None:
    """Other hardware must either run the workload or be rejected, with a message naming the
    missing unit, only for a unit it really lacks (the spatial baseline has no complex-MAC
    array)."""
    hardware = load_hardware(hardware_path).spec
    workload = load_workload(workload_path).spec
    lacking = [unit for unit in ("fft", "cmac") if getattr(hardware, unit) is None]
    if not lacking:
        assert compile_schedule(workload, hardware).ops
        return
    with pytest.raises(SpecFieldError) as caught:
        compile_schedule(workload, hardware)
    unit = caught.value.path[0]
    assert caught.value.spec == "hardware"
    assert unit in lacking
    first_layer = workload.layers[0].name
    assert caught.value.message == (
        f"required field missing: layer {first_layer} needs a {unit} unit"
    )


PACKAGED_TABLES = sorted(SHIPPED_ENERGY_TABLES.glob("*.yaml"))


def test_packaged_energy_tables_are_the_shipped_copies() -> None:
    """``energy_table: 28nm`` reads the packaged ``fdsim/data/energy/28nm.yaml`` (found from a
    wheel install too); ``hwconfigs/energy/`` holds the same bytes beside the configs."""
    assert [path.name for path in PACKAGED_TABLES] == [path.name for path in ENERGY_FILES]
    for packaged in PACKAGED_TABLES:
        assert packaged.read_bytes() == (HWCONFIGS / "energy" / packaged.name).read_bytes()
    assert shipped_energy_tables() == ["28nm", "45nm"]


FFT_CORE_FILES = _files(HWCONFIGS / "fft_ip")


@pytest.mark.parametrize("path", FFT_CORE_FILES, ids=_ids(FFT_CORE_FILES))
def test_fft_core_descriptions_validate(path: Path) -> None:
    load_fft_core(path)
