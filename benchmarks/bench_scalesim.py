"""fdsim.systolic against SCALE-Sim 3.0 on the same config and topology: per-layer cycles and
wall times of both.

Run (from the repository root):

    python benchmarks/bench_scalesim.py [--network alexnet] [--dataflow ws] [--rows 32]
        [--cols 32] [--sram-kb 64] [--scalesim-python /tmp/venv-ss/bin/python]

Without ``--scalesim-python`` only fdsim.systolic runs. With it, each layer is also run by
SCALE-Sim (CALC mode, no traces) in a subprocess of that Python, one topology row at a time so
that each layer gets its own wall time; the inputs are written as
tests/scalesim_reference/run_scalesim.py writes them.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "scalesim_reference"))

from run_scalesim import (  # noqa: E402
    CONV_HEADER,
    LAYOUT_HEADER,
    LAYOUT_ROW,
    NETWORKS,
    config_text,
)

from fdsim.spec.hardware import Dataflow  # noqa: E402
from fdsim.systolic import ArrayShape, ConvShape, ScratchpadSpec, simulate_layer  # noqa: E402

SCALESIM_RUN = """
import contextlib, io, sys, time
from scalesim.scale_sim import scalesim
cfg, topo, layout, out = sys.argv[1:5]
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo,
             layout=layout).run_scale(top_path=out)
print(time.perf_counter() - start)
"""


def run_scalesim(
    python: str, folder: Path, name: str, row: tuple[int, ...], cfg: str
) -> tuple[int, int, float]:
    """One layer through SCALE-Sim: (total cycles incl. prefetch, total cycles, wall seconds)."""
    (folder / "scale.cfg").write_text(cfg)
    (folder / "topo.csv").write_text(f"{CONV_HEADER}\n{name}, {', '.join(map(str, row))},\n")
    (folder / "layout.csv").write_text(f"{LAYOUT_HEADER}\n{name},{LAYOUT_ROW},\n")
    out = folder / "out"
    done = subprocess.run(
        [
            python,
            "-c",
            SCALESIM_RUN,
            *(str(folder / f) for f in ("scale.cfg", "topo.csv", "layout.csv")),
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    with (out / "bench" / "COMPUTE_REPORT.csv").open() as f:
        cells = [c.strip() for c in list(csv.reader(f))[1]]
    return int(cells[1]), int(cells[2]), float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="alexnet", choices=sorted(NETWORKS))
    parser.add_argument("--dataflow", default="ws", choices=[d.value for d in Dataflow])
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--cols", type=int, default=32)
    parser.add_argument("--sram-kb", type=int, default=64)
    parser.add_argument("--scalesim-python", default=None)
    args = parser.parse_args()

    array = ArrayShape(args.rows, args.cols, Dataflow(args.dataflow))
    memory = ScratchpadSpec.from_kb(args.sram_kb, args.sram_kb, args.sram_kb)
    cfg = config_text("bench", args.dataflow, args.rows, args.cols, args.sram_kb, None)
    totals = [0.0, 0.0]
    print(
        f"{'layer':10s} {'fdsim incl.':>12s} {'fdsim total':>12s} {'fdsim s':>8s}"
        f" {'SCALE-Sim incl.':>16s} {'SCALE-Sim total':>16s} {'SCALE-Sim s':>12s}"
    )
    for name, row in NETWORKS[args.network]:
        start = time.perf_counter()
        report = simulate_layer(ConvShape(*row), array, memory)
        seconds = time.perf_counter() - start
        totals[0] += seconds
        line = (
            f"{name:10s} {report.total_cycles_incl_prefetch:>12,} {report.total_cycles:>12,}"
            f" {seconds:>8.3f}"
        )
        if args.scalesim_python:
            with tempfile.TemporaryDirectory() as tmp:
                incl, total, ss_seconds = run_scalesim(
                    args.scalesim_python, Path(tmp), name, row, cfg
                )
            totals[1] += ss_seconds
            same = (
                "equal"
                if (incl, total) == (report.total_cycles_incl_prefetch, report.total_cycles)
                else "DIFFERENT"
            )
            line += f" {incl:>16,} {total:>16,} {ss_seconds:>12.2f}  {same}"
        print(line, flush=True)
    print(
        f"wall: fdsim.systolic {totals[0]:.3f} s"
        + (f", SCALE-Sim {totals[1]:.1f} s" if args.scalesim_python else "")
    )


if __name__ == "__main__":
    main()
