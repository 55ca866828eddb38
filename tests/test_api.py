"""The public API on specs: load (str or Path), override (re-validated, refused in one line),
simulate (energy chosen independently; timing-only runs build no numerical model), the
README's example, and the cheap, lazy ``import fdsim``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import fdsim
from fdsim import api
from fdsim.errors import SpecFieldError
from fdsim.network.linearity import linearity_summary
from fdsim.network.lowering import lower_network

ROOT = Path(__file__).resolve().parents[1]
HARDWARE = ROOT / "hwconfigs" / "fdtrain_28nm.yaml"
LENET = ROOT / "workloads" / "lenet5.yaml"
FORWARD = {fdsim.Phase.FORWARD}


@pytest.fixture(scope="module")
def hardware() -> fdsim.HardwareSpec:
    return fdsim.load_hardware(HARDWARE)


@pytest.fixture(scope="module")
def lenet() -> fdsim.Workload:
    return fdsim.load_workload(LENET)


def _cmac_busy_cycles(result: fdsim.RunResult, layer: str) -> int:
    rows = result.layers[(result.layers["unit"] == "cmac") & (result.layers["layer"] == layer)]
    assert len(rows) == 1
    return int(rows["busy_cycles"].iloc[0])


def test_halving_the_cmac_lanes_doubles_c3s_passes(hardware, lenet) -> None:  # type: ignore[no-untyped-def]
    # LeNet-5's c3 (fwd) is one CMAC op: 32 images × 16 outputs × 6 inputs over the 45 bins
    # the following crop to 8×8 keeps. Lanes go to the 16 outputs first, the rest to bins:
    # 256 lanes hold 16 bins a pass, ⌈45/16⌉ = 3 passes an image; 128 lanes 8 bins, ⌈45/8⌉ = 6.
    # Each pass streams the 6 inputs; the pipeline adds 4 cycles.
    wide = api.simulate(hardware, lenet, phases=FORWARD)
    narrow_spec = fdsim.override(hardware, {"cmac.lanes": 128})
    narrow = api.simulate(narrow_spec, lenet, phases=FORWARD)
    assert _cmac_busy_cycles(wide, "c3") == 32 * 3 * 6 + 4 == 580
    assert _cmac_busy_cycles(narrow, "c3") == 32 * 6 * 6 + 4 == 1156
    assert narrow.summary["total_cycles"] > wide.summary["total_cycles"]
    # The work itself does not change: the same multiplies, 4 real ones per complex MAC.
    assert narrow.layers["mults"].sum() == wide.layers["mults"].sum()
    c3 = narrow.layers[(narrow.layers["unit"] == "cmac") & (narrow.layers["layer"] == "c3")]
    assert int(c3["mults"].iloc[0]) == 32 * 16 * 6 * 45 * 4
    assert hardware.cmac is not None and hardware.cmac.lanes == 256  # the original unchanged


def test_override_sets_several_fields_and_keeps_the_origin(hardware) -> None:  # type: ignore[no-untyped-def]
    changed = fdsim.override(hardware, {"cmac.lanes": 128, "dram.bandwidth_bytes_per_s": 2e10})
    assert changed.cmac is not None and changed.cmac.lanes == 128
    assert changed.dram.bandwidth_bytes_per_s == 20_000_000_000
    assert changed.origin == hardware.origin
    assert changed.origin is not None and changed.origin.path == str(HARDWARE)
    assert fdsim.override(hardware, {}) == hardware


def test_override_of_a_list_entry(lenet) -> None:  # type: ignore[no-untyped-def]
    changed = fdsim.override(lenet, {"layers[0].kernel": 3, "batch_size": 8})
    assert (changed.layers[0].kernel, changed.batch_size) == (3, 8)
    assert changed.layers[1:] == lenet.layers[1:]


_NOT_A_PATH = (
    "not a field path: write fields with dots and list entries as [i], e.g. layers[2].kernel"
)


@pytest.mark.parametrize(
    ("spec", "changes", "message"),
    [
        (
            "hardware",
            {"cmac.lanes": -3},
            ":52: cmac.lanes: must be greater than or equal to 1, got -3",
        ),
        ("hardware", {"cmac.lanes": True}, ":52: cmac.lanes: expected a number, got true"),
        (
            "hardware",
            {"cmac.lane": 128},
            ":51: cmac.lane: unknown field (known: lanes, multiplier, pipeline_latency_cycles)",
        ),
        (
            "hardware",
            {"buffers.activations.size_bytes": 16},
            ":64: buffers.activations: size_bytes (16) must be a multiple of banks × word_bytes "
            "(8 × 32)",
        ),
        ("hardware", {"cmac..lanes": 1}, f": 'cmac..lanes': {_NOT_A_PATH}"),
        ("lenet", {"layers[12].kernel": 3}, ":23: layers[12]: no such entry (there are 12)"),
        ("lenet", {"layers.0.kernel": 3}, f": 'layers.0.kernel': {_NOT_A_PATH}"),
        (
            "lenet",
            {"layers[0].kernal": 3},
            ":24: layers[0].kernal: unknown field (known: name, domain, kind, out_channels, "
            "kernel, stride, padding, mapping)",
        ),
    ],
)
def test_a_bad_override_is_one_line_at_the_files_line(request, spec, changes, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(fdsim.ConfigError) as refused:
        fdsim.override(request.getfixturevalue(spec), changes)
    path = HARDWARE if spec == "hardware" else LENET
    assert str(refused.value) == f"{path}{message}"


def test_a_field_under_an_absent_sub_spec_is_refused(hardware) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(fdsim.ConfigError) as refused:
        fdsim.override(hardware, {"systolic_array.rows": 4})
    assert str(refused.value) == (
        f"{HARDWARE}:1: systolic_array.rows: systolic_array is not set: override "
        "systolic_array as a whole"
    )


def test_an_override_the_compiler_refuses_names_the_files_line(hardware, lenet) -> None:  # type: ignore[no-untyped-def]
    small = fdsim.override(hardware, {"buffers.weights.size_bytes": 1024})
    with pytest.raises(fdsim.ConfigError) as refused:
        fdsim.simulate(small, lenet, phases=FORWARD)
    assert str(refused.value) == (
        f"{HARDWARE}:70: buffers.weights.size_bytes: too small for layer f5: one output "
        "feature's weights and bias needs 2 × 2050 bytes (double-buffered), the buffer holds 1024"
    )


def test_a_spec_built_in_python_is_named_by_its_kind(hardware) -> None:  # type: ignore[no-untyped-def]
    built = fdsim.HardwareSpec.model_validate(hardware.model_dump())
    assert built.origin is None
    with pytest.raises(fdsim.ConfigError) as refused:
        fdsim.override(built, {"cmac.lanes": 0})
    assert str(refused.value) == "<hardware>: cmac.lanes: must be greater than or equal to 1, got 0"
    assert fdsim.override(built, {"cmac.lanes": 64}).origin is None


def test_paths_may_be_str_or_path(hardware, lenet) -> None:  # type: ignore[no-untyped-def]
    assert fdsim.load_hardware(str(HARDWARE)) == hardware
    assert fdsim.load_workload(str(LENET)) == lenet
    from_str = api.run(str(HARDWARE), str(LENET), FORWARD)
    from_path = api.run(HARDWARE, LENET, FORWARD)
    assert from_str.summary["total_cycles"] == from_path.summary["total_cycles"] == 48951
    with pytest.raises(fdsim.ConfigError) as refused:
        fdsim.load_workload(str(ROOT / "no-such.yaml"))
    assert str(refused.value) == f"{ROOT / 'no-such.yaml'}: file not found"


def test_energy_tables_by_name_or_path() -> None:
    by_name = fdsim.load_energy_table("45nm")
    assert by_name == fdsim.load_energy_table(ROOT / "hwconfigs" / "energy" / "45nm.yaml")
    assert by_name.technology_node_nm == 45
    with pytest.raises(fdsim.ConfigError) as refused:
        fdsim.load_energy_table("7nm")
    assert str(refused.value) == "7nm: no shipped energy table named '7nm' (shipped: 28nm, 45nm)"


def test_energy_chosen_independently_changes_energy_not_cycles(hardware, lenet) -> None:  # type: ignore[no-untyped-def]
    own = fdsim.simulate(hardware, lenet, phases=FORWARD)
    same = fdsim.simulate(hardware, lenet, phases=FORWARD, energy=fdsim.load_energy_table("28nm"))
    other = fdsim.simulate(hardware, lenet, phases=FORWARD, energy=fdsim.load_energy_table("45nm"))
    assert hardware.energy_table == "28nm"
    assert same.summary["energy_pj"] == own.summary["energy_pj"]
    assert other.summary["energy_pj"] != own.summary["energy_pj"]
    assert other.summary["total_cycles"] == own.summary["total_cycles"] == 48951
    assert other.layers["layer_cycles"].tolist() == own.layers["layer_cycles"].tolist()
    assert other.summary["manifest"]["inputs"]["energy_table"].endswith("45nm.yaml")
    assert other.summary["manifest"]["run_id"] != own.summary["manifest"]["run_id"]


def test_timing_only_runs_build_no_numerical_model(hardware, lenet, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The graph holds no numbers; parameters and tensors exist only in the functional model.
    def refuse(*args: object) -> None:
        raise AssertionError("functional_numerics called on a timing-only run")

    monkeypatch.setattr(api, "functional_numerics", refuse)
    result = fdsim.simulate(hardware, lenet, phases=FORWARD)
    assert result.summary["linearity"] == {
        "linear_classifier": False,
        "affine_spans": [{"first": "c1", "last": "f5", "layers": 7}],
    }
    with pytest.raises(AssertionError, match="functional_numerics called"):
        fdsim.simulate(hardware, lenet, phases=FORWARD, functional=True)


def _variants(workload: fdsim.Workload) -> list[fdsim.Workload]:
    """The workload, and, for each activation and pool, the one nonlinear form it can take in
    the hybrid domain (relu; a quadratic with an x² term; max pooling)."""
    variants = [workload]
    for index, layer in enumerate(workload.layers):
        field = f"layers[{index}]"
        if layer.kind == "activation":
            variants.append(fdsim.override(workload, {f"{field}.domain": "hybrid"}))
            variants.append(
                fdsim.override(
                    workload,
                    {
                        f"{field}.domain": "hybrid",
                        f"{field}.function": "quadratic",
                        f"{field}.coefficients": [0.0, 1.0, 0.5],
                    },
                )
            )
        if layer.kind == "pool" and layer.method == "max":
            variants.append(fdsim.override(workload, {f"{field}.domain": "spectral"}))
    return variants


def _spec_is_affine(workload, layer) -> bool:  # type: ignore[no-untyped-def]
    """The rule stated on the spec: ReLU, selecting pools (max, min, median) and an x² term are
    not affine."""
    if layer.kind == "pool":
        return layer.method in ("spectral", "average")
    if layer.kind == "activation":
        if layer.function.value == "relu":
            return False
        return layer.function.value != "quadratic" or layer.coefficients[2] == 0.0
    return True


@pytest.mark.parametrize("name", ["lenet5", "digits_cnn", "cifar10_rippel", "alexnet", "vgg16_32"])
def test_the_operators_affinity_follows_the_spec_rule(name) -> None:  # type: ignore[no-untyped-def]
    workload = fdsim.load_workload(ROOT / "workloads" / f"{name}.yaml")
    for variant in _variants(workload):
        try:
            network = lower_network(variant)
        except SpecFieldError:  # a variant the network rules refuse: nothing to compare
            continue
        layers = [layer for layer in variant.layers if layer.kind != "loss"]
        expected = all(_spec_is_affine(variant, layer) for layer in layers)
        assert linearity_summary(network)["linear_classifier"] is expected
        for layer, lowered in zip(layers, network.layers, strict=False):
            assert lowered.affine is _spec_is_affine(variant, layer), layer.name


def test_the_readme_example_runs(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## From Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    monkeypatch.chdir(ROOT)
    names: dict[str, object] = {}
    # the example saves a run: into a scratch folder here, not into the checkout
    text = code.group(1).replace('"fdsim-out/lenet5-step"', repr(str(tmp_path / "step")))
    assert str(tmp_path) in text
    exec(compile(text, "README.md", "exec"), names)
    step, at_45nm, cmac = names["step"], names["at_45nm"], names["cmac"]
    assert step.summary["total_cycles"] == at_45nm.summary["total_cycles"]  # type: ignore[attr-defined]
    assert names["again"].summary.energy_pj == at_45nm.summary.energy_pj  # type: ignore[attr-defined]
    assert list(cmac["layer"]) == ["c1", "c3", "f5", "f6", "output"]  # type: ignore[index]
    for call, message in re.findall(r">>> (.*)\nConfigError: (.*)", section):
        with pytest.raises(fdsim.ConfigError) as refused:
            eval(call, names)
        assert str(refused.value) == message


def test_the_public_names() -> None:
    public = "ConfigError EnergyTable FdsimError HardwareSpec Phase RunResult Workload __version__"
    public += " load_energy_table load_hardware load_result load_workload override reprice simulate"
    assert sorted(fdsim.__all__) == public.split()
    for name in fdsim.__all__:
        assert getattr(fdsim, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        fdsim.nothing  # noqa: B018


def test_save_load_and_reprice_through_the_public_names(tmp_path: Path) -> None:
    """The saved-result half of the API: a run saved and loaded back re-prices under another
    table to exactly the energy of a fresh run with that table, cycles unchanged."""
    hardware = fdsim.load_hardware(ROOT / "hwconfigs/fdtrain_28nm.yaml")
    workload = fdsim.load_workload(ROOT / "workloads/lenet5.yaml")
    phases = frozenset({fdsim.Phase.FORWARD})
    result = fdsim.simulate(hardware, workload, phases=phases)
    loaded = fdsim.load_result(result.save(tmp_path / "run"))
    at_45nm = fdsim.load_energy_table("45nm")
    repriced = fdsim.reprice(loaded, at_45nm)
    fresh = fdsim.simulate(hardware, workload, energy=at_45nm, phases=phases)
    assert repriced.summary.energy_pj == fresh.summary.energy_pj
    assert repriced.summary.total_cycles == result.summary.total_cycles
    assert repriced.layers["energy_pj"].tolist() == fresh.layers["energy_pj"].tolist()


def test_importing_fdsim_loads_no_simulator() -> None:
    heavy = "{'numpy', 'simpy', 'pandas', 'pydantic'}"
    probe = f"import sys, fdsim; print(sorted({heavy} & set(sys.modules)))"
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert shown.stdout == "[]\n"
