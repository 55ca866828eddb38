"""Behaviour preservation: record every shipped run's results once, check a later tree gives
the same numbers.

A refactoring must not change a result. This script runs, through the command line (the one
interface a redesign keeps), every shipped hardware × workload for the whole training step and
for the forward alone, and ``--functional`` on LeNet-5 and the digits CNN; it keeps
``layers.csv``, ``traffic.csv``, ``bandwidth.csv``, ``numerics.csv``, ``overflows.csv`` and the
summary's cycles, energies and byte counts (a run the hardware cannot execute keeps its one-line
error).

    python tests/preservation/snapshot.py record   # before the change: writes the stored copy
    python tests/preservation/snapshot.py check    # after it: exit 1 and a diff on any change

Not part of the default test run (it takes about a minute); run it before resolving a
refactoring issue. The stored copy lives in ``tests/preservation/stored/``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fdsim.cli import main as fdsim_main

ROOT = Path(__file__).resolve().parents[2]
STORED = Path(__file__).resolve().parent / "stored"
TABLES = ("layers.csv", "traffic.csv", "bandwidth.csv", "numerics.csv", "overflows.csv")
SUMMARY_WORDS = ("cycles", "energy", "bytes", "_pj")


def cases() -> Iterator[tuple[str, list[str]]]:
    """(case name, ``fdsim run`` arguments without ``--out``) for every recorded run."""
    hardware = sorted((ROOT / "hwconfigs").glob("*.yaml"))
    workloads = sorted((ROOT / "workloads").glob("*.yaml"))
    for hw in hardware:
        for wl in workloads:
            base = [str(hw.relative_to(ROOT)), str(wl.relative_to(ROOT))]
            yield f"{hw.stem}--{wl.stem}--step", base
            yield f"{hw.stem}--{wl.stem}--fwd", [*base, "--phases", "fwd"]
    default_hw = "hwconfigs/fdtrain_28nm.yaml"
    for wl in ("lenet5", "digits_cnn"):
        yield (
            f"fdtrain_28nm--{wl}--functional",
            [default_hw, f"workloads/{wl}.yaml", "--functional"],
        )


def _numbers(node: Any, path: str = "") -> dict[str, Any]:
    """The summary's leaves whose key speaks of cycles, energy or bytes, by dotted path."""
    found: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(value, dict | list):
                found.update(_numbers(value, child))
            elif isinstance(value, int | float) and any(w in str(key) for w in SUMMARY_WORDS):
                found[child] = value
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.update(_numbers(value, f"{path}[{index}]"))
    return found


def run_case(arguments: list[str], into: Path) -> None:
    """Run one case and keep what the stored copy compares into ``into``."""
    into.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "run"
        stderr = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
            code = fdsim_main(["run", *arguments, "--out", str(out), "--quiet"])
        if code != 0:
            (into / "error.txt").write_text(f"exit {code}\n{stderr.getvalue()}", encoding="utf-8")
            return
        for name in TABLES:
            if (out / name).exists():
                shutil.copyfile(out / name, into / name)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        (into / "summary_numbers.json").write_text(
            json.dumps(_numbers(summary), indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )


def record_all(target: Path) -> None:
    import os

    os.chdir(ROOT)
    for name, arguments in cases():
        print(f"{name} ...", flush=True)
        run_case(arguments, target / name)


def _diff(stored: Path, fresh: Path) -> list[str]:
    problems = []
    stored_files = {p.name for p in stored.iterdir()}
    fresh_files = {p.name for p in fresh.iterdir()}
    for missing in sorted(stored_files ^ fresh_files):
        problems.append(
            f"{stored.name}: {missing} only in {'stored' if missing in stored_files else 'fresh'}"
        )
    for name in sorted(stored_files & fresh_files):
        old = (stored / name).read_text(encoding="utf-8").splitlines()
        new = (fresh / name).read_text(encoding="utf-8").splitlines()
        if old != new:
            first = next(
                (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                min(len(old), len(new)),
            )
            shown_old = old[first] if first < len(old) else "<end>"
            shown_new = new[first] if first < len(new) else "<end>"
            problems.append(
                f"{stored.name}/{name}:{first + 1}: stored {shown_old!r}, now {shown_new!r}"
            )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["record", "check"])
    args = parser.parse_args()
    if args.action == "record":
        if STORED.exists():
            shutil.rmtree(STORED)
        record_all(STORED)
        print(f"recorded {STORED}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        record_all(fresh)
        names = {p.name for p in STORED.iterdir()} | {p.name for p in fresh.iterdir()}
        problems = []
        for name in sorted(names):
            if not (STORED / name).exists() or not (fresh / name).exists():
                problems.append(
                    f"{name}: case only in {'fresh' if (fresh / name).exists() else 'stored'}"
                )
                continue
            problems.extend(_diff(STORED / name, fresh / name))
    for problem in problems:
        print(problem)
    print("identical" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
