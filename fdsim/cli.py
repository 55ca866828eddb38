"""The command line: thin subcommands, each calling one public function.

A user error (``ConfigError``, or a bad option, or an output folder that cannot be written)
prints one line and exits with status 2; nothing is written. An interrupt (Ctrl-C, SIGTERM)
prints one line and exits with 130 (143 for SIGTERM), leaving the output folder untouched
unless it was already complete.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from fdsim.cli_args import (
    DEFAULT_BASELINE,
    DEFAULT_HARDWARE,
    DEFAULT_TRAIN_WORKLOAD,
    DEFAULT_WORKLOAD,
    build_parser,
)
from fdsim.errors import ConfigError
from fdsim.interrupts import Terminated, sigterm_raises
from fdsim.output import OutputKind, plan_output, write_output

# Heavier modules are imported where used, inside ``main``'s handling of Ctrl-C.
if TYPE_CHECKING:
    from pydantic import BaseModel

    from fdsim.nn.datasets import DatasetSource
    from fdsim.results import RunResult
    from fdsim.schedule.ops import Phase

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


@dataclass
class _Session:
    """What an interrupt's message needs: the output folder once known, and whether the
    output is in place there."""

    out: Path | None = None
    written: bool = False

    def target(self, out: Path, kind: OutputKind, force: bool) -> Path:
        """Check that ``out`` may take an output of ``kind`` (``ConfigError`` if not), and
        remember it."""
        plan_output(out, kind, force=force)
        self.out = out
        return out

    def interrupted(self) -> str:
        if self.out is None:
            return "interrupted"
        if self.written:
            return f"interrupted; {self.out} was written"
        return f"interrupted; nothing written to {self.out}"

    def committed(self) -> None:
        self.written = True


def _default(relative: Path) -> Path:
    """A shipped input: from the current folder when it has one, else from the checkout that
    holds this package (editable installs)."""
    if relative.exists():
        return relative
    beside_package = Path(__file__).resolve().parent.parent / relative
    if beside_package.exists():
        return beside_package
    raise ConfigError(
        str(relative), "default input not found: run from the fdsim checkout or name the file"
    )


def parse_phases(text: str) -> frozenset[Phase]:
    """``fwd,bwd_data,...`` -> phases; a typo or a selection missing a needed phase is a
    ``ConfigError`` naming the option."""
    from fdsim.schedule.compile import PhaseSelectionError, check_phases
    from fdsim.schedule.ops import Phase

    known = ", ".join(phase.value for phase in Phase)
    phases = []
    for name in (part.strip() for part in text.split(",")):
        if name not in {phase.value for phase in Phase}:
            raise ConfigError("--phases", f"unknown phase {name!r}, expected some of {known}")
        phases.append(Phase(name))
    try:
        return check_phases(phases)
    except PhaseSelectionError as problem:
        raise ConfigError("--phases", str(problem)) from None


def _run(args: argparse.Namespace, session: _Session) -> int:
    if args.out is not None:  # first: a refusal should not wait, an interrupt can name it
        session.target(args.out, OutputKind.RUN, args.force)
    from fdsim.api import run
    from fdsim.progress import StageProgress
    from fdsim.report.console import run_text
    from fdsim.schedule.ops import TRAINING_STEP
    from fdsim.vocabulary import TimingModel

    phases = parse_phases(args.phases)
    dataset = _dataset_source(args)
    if dataset is not None and not args.functional:
        raise ConfigError("--dataset", "feeds the bit-true datapath: add --functional")
    if args.functional_images is not None:
        if not args.functional:
            raise ConfigError("--functional-images", "reduces --functional's batch: add it")
        if args.functional_images < 1:
            raise ConfigError(
                "--functional-images", f"must be at least 1, got {args.functional_images}"
            )
    hardware = args.hardware or _default(DEFAULT_HARDWARE)
    workload = args.workload or _default(DEFAULT_WORKLOAD)
    progress = StageProgress("fdsim run", quiet=args.quiet)
    try:
        result = run(
            hardware,
            workload,
            phases,
            functional=args.functional,
            seed=args.seed,
            dataset=dataset,
            model=TimingModel(args.model),
            functional_images=args.functional_images,
            on_stage=progress.show,
        )
    finally:
        progress.close()
    # Readable names; the id covers what they leave out (seed, dataset).
    options = result.summary.manifest["options"]
    tags = [] if phases == TRAINING_STEP else ["+".join(options["phases"])]
    tags += ["functional"] if args.functional else []
    tags += ["analytic"] if args.model == TimingModel.ANALYTIC.value else []
    name = "-".join([workload.stem, hardware.stem, *tags, result.summary.manifest["run_id"]])
    out = args.out or session.target(Path("fdsim-out") / name, OutputKind.RUN, args.force)
    _write_run(result, out, session, force=args.force)
    if not args.quiet:
        print(run_text(result))
    print(_wrote(result, out))
    return 0


def _write_run(result: RunResult, out: Path, session: _Session, *, force: bool) -> None:
    """A run's tables, specs and report into ``out`` by the output-folder rules."""
    from fdsim.report.markdown import write_report
    from fdsim.results import write_tables

    def write(directory: Path) -> None:
        write_tables(result, directory)
        write_report(result, directory)

    write_output(out, OutputKind.RUN, write, force=force, on_committed=session.committed)


def _wrote(result: RunResult, out: Path) -> str:
    """The line naming every file :func:`_write_run` wrote."""
    files = "report.md, energy.png, cycles.png, layers.csv, traffic.csv, bandwidth.csv, counts.csv"
    extra = ", numerics.csv, overflows.csv" if result.numerics is not None else ""
    if (out / "COMPUTE_REPORT.csv").is_file():
        extra += ", SCALE-Sim's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, " + (
            "DETAILED_ACCESS_REPORT.csv and scalesim_topology.csv"
        )
    return f"wrote {out}/{files}{extra}, summary.json and the specs as JSON"


def _dataset_source(args: argparse.Namespace) -> DatasetSource | None:
    """The ``--dataset/--images/--labels`` choice, None when none is given."""
    from fdsim.nn.datasets import DatasetName, DatasetSource

    files = (("--images", args.images), ("--labels", args.labels))
    if args.dataset != DatasetName.MNIST.value:
        for flag, path in files:
            if path is not None:
                raise ConfigError(flag, "only --dataset mnist reads IDX files")
    elif any(path is None for _, path in files):
        raise ConfigError("--dataset mnist", "needs --images and --labels (IDX files)")
    if args.dataset is None:
        return None
    return DatasetSource(DatasetName(args.dataset), args.images, args.labels)


def _train(args: argparse.Namespace, session: _Session) -> int:
    if args.out is not None:
        session.target(args.out, OutputKind.TRAIN, args.force)
    from fdsim.api import load_hardware, load_workload
    from fdsim.nn.datasets import DatasetSource
    from fdsim.progress import EpochBars
    from fdsim.report.notes import linearity_note
    from fdsim.report.training import write_training_report
    from fdsim.training import train_workload

    if args.epochs < 1:
        raise ConfigError("--epochs", f"must be at least 1, got {args.epochs}")
    hardware_path = args.hardware or _default(DEFAULT_HARDWARE)
    workload_path = args.workload or _default(DEFAULT_TRAIN_WORKLOAD)
    source = _dataset_source(args) or DatasetSource()
    hardware, workload = load_hardware(hardware_path), load_workload(workload_path)
    bars = EpochBars(args.epochs)

    def on_epoch(arithmetic: str, record: Any) -> None:
        bars.on_epoch(arithmetic, record)
        print(
            f"{arithmetic:5s} epoch {record.epoch + 1}: train loss {record.train_loss:.4f}, "
            f"accuracy {100 * record.train_accuracy:.1f} %; hold-out loss "
            f"{record.holdout_loss:.4f}, accuracy {100 * record.holdout_accuracy:.1f} %",
            flush=True,
        )

    try:
        run = train_workload(
            hardware,
            workload,
            source,
            epochs=args.epochs,
            seed=args.seed,
            reference=not args.no_reference,
            on_batch=None if args.quiet else bars.on_batch,
            on_epoch=on_epoch,
        )
    finally:
        bars.close()
    note = linearity_note(run.summary["linearity"])
    if note:
        print(f"note: {note}")
    run_id = run.summary["manifest"]["run_id"]
    stems = f"{workload_path.stem}-{hardware_path.stem}"
    name = f"train-{stems}-{source.name.value}-e{args.epochs}-{run_id}"
    out = args.out or session.target(Path("fdsim-out") / name, OutputKind.TRAIN, args.force)
    write_output(
        out,
        OutputKind.TRAIN,
        lambda directory: write_training_report(run.curves, run.summary, directory),
        force=args.force,
        on_committed=session.committed,
    )
    step = run.summary["training_step"]
    print(
        f"one training step on {run.summary['hardware']}: {step['cycles']:,} cycles, "
        f"{step['energy_pj'] / 1e6:.3f} µJ"
    )
    print(f"wrote {out}/report.md, curves.csv, curves.png, summary.json")
    return 0


def _pooling(args: argparse.Namespace, session: _Session) -> int:
    if args.out is not None:
        session.target(args.out, OutputKind.POOLING, args.force)
    from fdsim.api import load_hardware, load_workload
    from fdsim.nn.datasets import DatasetSource
    from fdsim.pooling_study import study_pooling
    from fdsim.report.pooling import POOLING_FILES, write_pooling_report

    for flag, value in (("--epochs", args.epochs), ("--trials", args.trials)):
        if value < 1:
            raise ConfigError(flag, f"must be at least 1, got {value}")
    hardware_path = args.hardware or _default(DEFAULT_HARDWARE)
    workload_path = args.workload or _default(DEFAULT_TRAIN_WORKLOAD)
    source = _dataset_source(args) or DatasetSource()
    hardware, workload = load_hardware(hardware_path), load_workload(workload_path)
    study = study_pooling(
        hardware,
        workload,
        source,
        epochs=args.epochs,
        seed=args.seed,
        train=not args.no_train,
        asm_trials=args.trials,
        methods=None if args.methods is None else [m.strip() for m in args.methods.split(",")],
        on_progress=None if args.quiet else lambda line: print(line, flush=True),
    )
    stems = f"{workload_path.stem}-{hardware_path.stem}"
    epochs = "e0" if args.no_train else f"e{args.epochs}"
    name = f"pooling-{stems}-{source.name.value}-{epochs}-s{args.seed}"
    out = args.out or session.target(Path("fdsim-out") / name, OutputKind.POOLING, args.force)
    write_output(
        out,
        OutputKind.POOLING,
        lambda directory: write_pooling_report(study, directory),
        force=args.force,
        on_committed=session.committed,
    )
    print(f"wrote {out}/{', '.join(POOLING_FILES)}")
    return 0


def _modes(args: argparse.Namespace, session: _Session) -> int:
    if args.out is not None:
        session.target(args.out, OutputKind.MODES, args.force)
    from fdsim.api import load_hardware, load_workload
    from fdsim.modes import study_modes
    from fdsim.report.modes import MODES_FILES, write_modes_report

    if args.no_baseline and args.baseline is not None:
        raise ConfigError("--no-baseline", "contradicts --baseline: give one of them")
    if args.epochs < 0:
        raise ConfigError("--epochs", f"must be at least 0, got {args.epochs}")
    source = _dataset_source(args)
    if source is not None and not args.epochs:
        raise ConfigError("--dataset", "trains the cases: add --epochs N")
    phases = parse_phases(args.phases)
    hardware_path = args.hardware or _default(DEFAULT_HARDWARE)
    workload_path = args.workload or _default(DEFAULT_WORKLOAD)
    baseline_path = None if args.no_baseline else args.baseline or _default(DEFAULT_BASELINE)
    hardware, workload = load_hardware(hardware_path), load_workload(workload_path)
    baseline = None if baseline_path is None else load_hardware(baseline_path)
    study = study_modes(
        hardware,
        workload,
        baseline,
        phases=phases,
        spatial_pool=args.spatial_pool,
        epochs=args.epochs,
        source=source,
        seed=args.seed,
        on_progress=None if args.quiet else lambda line: print(line, flush=True),
    )
    against = "alone" if baseline_path is None else baseline_path.stem
    trained = f"-e{args.epochs}-s{args.seed}" if args.epochs else ""
    name = f"modes-{workload_path.stem}-{hardware_path.stem}-{against}{trained}"
    out = args.out or session.target(Path("fdsim-out") / name, OutputKind.MODES, args.force)
    write_output(
        out,
        OutputKind.MODES,
        lambda directory: write_modes_report(study, directory),
        force=args.force,
        on_committed=session.committed,
    )
    print(f"wrote {out}/{', '.join(MODES_FILES)}")
    return 0


def _validate(args: argparse.Namespace, _session: _Session) -> int:
    from fdsim.spec.load import detect_and_load

    for path in args.files:
        kind = detect_and_load(path)
        print(f"{path}: valid {kind}")
    return 0


def _schema(args: argparse.Namespace, _session: _Session) -> int:
    from fdsim.spec.energy import EnergyTable
    from fdsim.spec.hardware import HardwareSpec
    from fdsim.spec.workload import Workload

    models: dict[str, type[BaseModel]] = {
        "hardware": HardwareSpec,
        "workload": Workload,
        "energy": EnergyTable,
    }
    model = models[args.kind]
    print(json.dumps(model.model_json_schema(), indent=2))
    return 0


def _reprice(args: argparse.Namespace, session: _Session) -> int:
    """``fdsim reprice RUN_DIR TABLE``: the stored run priced by another energy table (a
    shipped name or a file), written as a new run folder; ``RUN_DIR`` is only read."""
    from fdsim.results import reprice
    from fdsim.run_folder import load_result
    from fdsim.spec.load import energy_table_file, load_energy_table

    # The rule ``energy_table: 28nm`` follows in a hardware spec: a name is a shipped table.
    table_path = energy_table_file(args.table)
    stored = load_result(args.run_dir)
    table = load_energy_table(table_path)
    # ``.`` and ``..`` have no name to extend: the default goes beside the folder they mean
    named = args.run_dir.resolve() if args.run_dir.name in ("", "..") else args.run_dir
    out = args.out or named.with_name(f"{named.name}-{table_path.stem}")
    if out.resolve().is_relative_to(args.run_dir.resolve()):
        raise ConfigError(str(out), "is inside RUN_DIR, which reprice never modifies")
    session.target(out, OutputKind.RUN, args.force)
    result = reprice(stored, table.spec, source=table.origin.path)
    _write_run(result, out, session, force=args.force)
    energy_uj = result.summary.energy_pj / 1e6
    print(f"{args.run_dir} priced by {table.origin.path}: {energy_uj:,.3f} µJ per step")
    print(_wrote(result, out))
    return 0


_HANDLERS: dict[str, Callable[[argparse.Namespace, _Session], int]] = {
    "run": _run,
    "train": _train,
    "pooling": _pooling,
    "modes": _modes,
    "reprice": _reprice,
    "validate": _validate,
    "schema": _schema,
}


def main(argv: Sequence[str] | None = None) -> int:
    session = _Session()
    try:
        with sigterm_raises():
            args = build_parser().parse_args(argv)
            code: int = _HANDLERS[args.command](args, session)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return _interrupted(session, EXIT_INTERRUPTED)
    except Terminated:
        return _interrupted(session, EXIT_TERMINATED)
    return code


def _interrupted(session: _Session, code: int) -> int:
    print(session.interrupted(), file=sys.stderr)
    return code


def entry() -> NoReturn:
    """The ``fdsim`` command: :func:`main`, then exit. After an interrupt the process ends at
    once (its line printed, streams flushed, staging already removed): a signal that arrives
    again while Python shuts down would otherwise end it as killed by SIGINT, not 130."""
    code = main()
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        for signum in (signal.SIGINT, signal.SIGTERM):  # a repeated Ctrl-C changes nothing now
            signal.signal(signum, signal.SIG_IGN)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
