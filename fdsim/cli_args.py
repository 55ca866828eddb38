"""The command line's grammar: subcommands, arguments, their types and defaults. The
handlers (``fdsim.cli``) pick the subcommand by ``args.command``; a bad option is one line
(``fdsim run: argument --seed: …``) and exit status 2, through ``ConfigError``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from fdsim import __version__
from fdsim.errors import ConfigError

DEFAULT_HARDWARE = Path("hwconfigs/fdtrain_28nm.yaml")
DEFAULT_WORKLOAD = Path("workloads/lenet5.yaml")
DEFAULT_TRAIN_WORKLOAD = Path("workloads/digits_cnn.yaml")
DEFAULT_BASELINE = Path("hwconfigs/spatial_systolic_32x32.yaml")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (``fdsim run: argument --seed: …``), exit
    status 2."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(self.prog, f"{message} (see {self.prog} --help)")


def _seed(text: str) -> int:
    """A non-negative integer (numpy's and scikit-learn's generators take no others)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from fdsim.schedule.ops import Phase

    parser = _Parser(
        prog="fdsim",
        description="Cycle-level simulator of frequency-domain CNN training accelerators.",
    )
    parser.add_argument("--version", action="version", version=f"fdsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="simulate a workload on a hardware config")
    run.add_argument("hardware", nargs="?", type=Path, help=f"default: {DEFAULT_HARDWARE}")
    run.add_argument("workload", nargs="?", type=Path, help=f"default: {DEFAULT_WORKLOAD}")
    run.add_argument(
        "--out",
        type=Path,
        help="output folder: new, empty, or an earlier fdsim run's (default: "
        "fdsim-out/<names>-<id>)",
    )
    run.add_argument(
        "--quiet", action="store_true", help="no progress; print only where results went"
    )
    _force_option(run)
    run.add_argument(
        "--phases",
        default=",".join(phase.value for phase in Phase),
        help="comma-separated phases of the training step to simulate (default: all, "
        "fwd,bwd_data,bwd_weight,update; 'fwd' is inference)",
    )
    run.add_argument(
        "--model",
        choices=["event", "analytic"],
        default="event",
        help="time the schedule by the event loop (the reference) or the analytic recurrence "
        "(no buffer-full waits: never more cycles, faster; for screening)",
    )

    run.add_argument(
        "--functional",
        action="store_true",
        help="also push a seeded mini-batch through the bit-true datapath: per-layer SQNR "
        "against float64 and overflow counts (numerics.csv); cycles are unchanged",
    )
    run.add_argument(
        "--functional-images",
        type=int,
        help="with --functional: compute only the first N images of the mini-batch (a large "
        "network's bit-true run; the report says so, the cycles stay the whole batch's)",
    )
    run.add_argument(
        "--seed", type=_seed, default=0, help="seed of --functional's data and parameters (0)"
    )
    _dataset_options(run, "--functional's data: ")

    train = commands.add_parser(
        "train", help="train a workload bit-true on real data (and in float64 beside it)"
    )
    train.add_argument("hardware", nargs="?", type=Path, help=f"default: {DEFAULT_HARDWARE}")
    train.add_argument("workload", nargs="?", type=Path, help=f"default: {DEFAULT_TRAIN_WORKLOAD}")
    _dataset_options(train, "default digits; ")
    train.add_argument("--epochs", type=int, default=10, help="passes over the data (10)")
    train.add_argument("--seed", type=_seed, default=0, help="seed of split, init, shuffling (0)")
    train.add_argument(
        "--no-reference", action="store_true", help="skip the float64 reference training"
    )
    train.add_argument(
        "--out",
        type=Path,
        help="output folder: new, empty, or an earlier fdsim train's (default: fdsim-out/train-…)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    _force_option(train)

    pooling = commands.add_parser(
        "pooling",
        help="compare pooling methods: information kept, shift invariance, energy, latency "
        "and accuracy on the accelerator",
    )
    pooling.add_argument("hardware", nargs="?", type=Path, help=f"default: {DEFAULT_HARDWARE}")
    pooling.add_argument(
        "workload", nargs="?", type=Path, help=f"default: {DEFAULT_TRAIN_WORKLOAD}"
    )
    _dataset_options(pooling, "training data, default digits; ")
    pooling.add_argument("--epochs", type=int, default=10, help="training passes per method (10)")
    pooling.add_argument(
        "--no-train",
        action="store_true",
        help="skip training: no hold-out accuracies (the rest takes seconds)",
    )
    pooling.add_argument(
        "--trials",
        type=int,
        default=1000,
        help="random images of seed 000's approximate max-pooling experiment (1000)",
    )
    pooling.add_argument(
        "--methods",
        help="comma-separated methods to compare (default: all of fdsim.pooling.catalogue)",
    )
    pooling.add_argument(
        "--seed", type=_seed, default=0, help="seed of images, shifts, trials, training (0)"
    )
    pooling.add_argument(
        "--out",
        type=Path,
        help="output folder: new, empty, or an earlier fdsim pooling's (default: "
        "fdsim-out/pooling-…)",
    )
    pooling.add_argument("--quiet", action="store_true", help="no progress lines")
    _force_option(pooling)

    modes = commands.add_parser(
        "modes",
        help="one network in the spectral, hybrid and spatial domains on the accelerator, and "
        "spatial on a baseline: time, energy, traffic side by side",
    )
    modes.add_argument("hardware", nargs="?", type=Path, help=f"default: {DEFAULT_HARDWARE}")
    modes.add_argument("workload", nargs="?", type=Path, help=f"default: {DEFAULT_WORKLOAD}")
    modes.add_argument(
        "--baseline",
        type=Path,
        help=f"hardware the spatial mode also runs on (default: {DEFAULT_BASELINE})",
    )
    modes.add_argument(
        "--no-baseline", action="store_true", help="compare the modes on the accelerator only"
    )
    modes.add_argument(
        "--phases",
        default=",".join(phase.value for phase in Phase),
        help="comma-separated phases, as fdsim run (default: the whole training step)",
    )
    modes.add_argument(
        "--spatial-pool",
        default="average",
        help="the method a spectral pool becomes outside the spectral domain (average)",
    )
    modes.add_argument(
        "--epochs",
        type=int,
        default=0,
        help="train every case this many epochs for its hold-out accuracy (0: cost only)",
    )
    _dataset_options(modes, "training data with --epochs, default digits; ")
    modes.add_argument("--seed", type=_seed, default=0, help="seed of the training (0)")
    modes.add_argument(
        "--out",
        type=Path,
        help="output folder: new, empty, or an earlier fdsim modes' (default: fdsim-out/modes-…)",
    )
    modes.add_argument("--quiet", action="store_true", help="no progress lines")
    _force_option(modes)

    reprice = commands.add_parser(
        "reprice", help="price a stored run by another energy table, without re-simulating"
    )
    reprice.add_argument("run_dir", type=Path, help="a folder fdsim run wrote")
    reprice.add_argument("table", help="energy table: a shipped name (28nm, 45nm) or a file")
    reprice.add_argument(
        "--out",
        type=Path,
        help="output folder (default: RUN_DIR-<table>); RUN_DIR is never changed",
    )
    _force_option(reprice)

    validate = commands.add_parser("validate", help="check spec files (kind detected)")
    validate.add_argument("files", nargs="+", type=Path)

    schema = commands.add_parser("schema", help="print a JSON Schema for editors")
    schema.add_argument("kind", choices=["hardware", "workload", "energy"])
    return parser


def _force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into an existing --out folder fdsim did not write, beside what is there "
        "(nothing of it is deleted or overwritten)",
    )


def _dataset_options(parser: argparse.ArgumentParser, lead: str) -> None:
    parser.add_argument(
        "--dataset",
        choices=["digits", "mnist"],
        help=f"{lead}digits: scikit-learn's bundled 8×8 digits; mnist: local IDX files",
    )
    parser.add_argument("--images", type=Path, help="MNIST IDX images file (.gz accepted)")
    parser.add_argument("--labels", type=Path, help="MNIST IDX labels file (.gz accepted)")
