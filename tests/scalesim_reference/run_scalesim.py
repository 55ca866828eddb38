"""Regenerate tests/data/scalesim/reference.json by RUNNING SCALE-Sim 3.0 (PyPI ``scalesim``).

Run with the Python of an environment where ``scalesim`` (and numpy < 2.4) is installed:

    /tmp/venv-ss/bin/python tests/scalesim_reference/run_scalesim.py [CASE ...]

It writes every case's inputs (config ``.cfg``, topology and the mandatory layout CSV) under
``tests/data/scalesim/inputs/<case>/``, runs SCALE-Sim's API on them (``save_disk_space=True``: no
traces) and stores, per case and layer, the report cells exactly as SCALE-Sim writes them in
COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv, plus the wall time.
Named cases are re-run and merged into the existing file; without names every case runs (about
five minutes on two cores, AlexNet dominating). The tests read the stored file and never import
scalesim. Layer rows follow SCALE-Sim's topology CSV rules (trailing comma, IFMAP pre-padded).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "tests" / "data" / "scalesim"
INPUTS = ROOT / "inputs"
REFERENCE = ROOT / "reference.json"

CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,"
)
GEMM_HEADER = "Layer Name, M, N, K,"
LAYOUT_HEADER = (
    "Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, "
    "Filter Height Intraline Factor, Filter Width Intraline Factor, Channel Intraline Factor, "
    "Num Filter Intraline Factor, IFMAP Height Intraline Order, IFMAP Width Intraline Order, "
    "Channel Intraline Order, IFMAP Height Interline Order, IFMAP Width Interline Order, "
    "Channel Interline Order, Num Filter Intraline Order, Channel Intraline Order, "
    "Filter Height Intraline Order, Filter Width Intraline Order, Num Filter Interline Order, "
    "Channel Interline Order, Filter Height Interline Order, Filter Width Interline Order,"
)
LAYOUT_ROW = "1,1,1,1,1,1,1,2,0,4,5,3,3,0,1,2,7,4,5,6"

# name: (ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters, stride)
NETWORKS: dict[str, list[tuple[str, tuple[int, ...]]]] = {
    "lenet": [
        ("Conv1", (32, 32, 5, 5, 1, 6, 1)),
        ("Conv2", (14, 14, 5, 5, 6, 16, 1)),
        ("FC1", (5, 5, 5, 5, 16, 120, 1)),
        ("FC2", (1, 1, 1, 1, 120, 84, 1)),
        ("FC3", (1, 1, 1, 1, 84, 10, 1)),
    ],
    "alexnet": [  # SCALE-Sim's bundled topologies/conv_nets/alexnet.csv, conv1-5
        ("Conv1", (224, 224, 11, 11, 3, 96, 4)),
        ("Conv2", (27, 27, 5, 5, 96, 256, 1)),
        ("Conv3", (13, 13, 3, 3, 256, 384, 1)),
        ("Conv4", (13, 13, 3, 3, 384, 384, 1)),
        ("Conv5", (13, 13, 3, 3, 384, 256, 1)),
    ],
    "inc5b": [("Inc5b_3x3", (7, 7, 3, 3, 192, 384, 1))],  # SCALE-Sim's bundled test.csv
    "odd": [  # awkward shapes: ceil output rule, stride 2, tiny SRAM reuse
        ("Odd1", (9, 11, 3, 2, 3, 5, 2)),
        ("Odd2", (6, 6, 6, 6, 7, 33, 1)),
    ],
}
GEMMS: dict[str, list[tuple[str, tuple[int, int, int]]]] = {
    "gemm": [("GEMM_256x128x256", (256, 128, 256))],  # (M, N, K), bundled test_mnk_input.csv
}

# case: (network, dataflow, rows, cols, sram_kb, bandwidth or None for CALC)
CASES: dict[str, tuple[str, str, int, int, int, int | None]] = {
    "lenet_ws_32x32_64k_calc": ("lenet", "ws", 32, 32, 64, None),
    "lenet_os_32x32_64k_calc": ("lenet", "os", 32, 32, 64, None),
    "lenet_is_32x32_64k_calc": ("lenet", "is", 32, 32, 64, None),
    "lenet_ws_32x32_64k_user2": ("lenet", "ws", 32, 32, 64, 2),
    "lenet_ws_32x32_64k_user10": ("lenet", "ws", 32, 32, 64, 10),
    "lenet_os_32x32_64k_user10": ("lenet", "os", 32, 32, 64, 10),
    "lenet_is_32x32_64k_user10": ("lenet", "is", 32, 32, 64, 10),
    "lenet_ws_8x16_2k_calc": ("lenet", "ws", 8, 16, 2, None),
    "lenet_os_8x16_2k_calc": ("lenet", "os", 8, 16, 2, None),
    "lenet_is_8x16_2k_calc": ("lenet", "is", 8, 16, 2, None),
    "lenet_ws_8x16_2k_user2": ("lenet", "ws", 8, 16, 2, 2),
    "lenet_os_8x16_2k_user10": ("lenet", "os", 8, 16, 2, 10),
    "odd_ws_8x16_1k_calc": ("odd", "ws", 8, 16, 1, None),
    "odd_os_8x16_1k_calc": ("odd", "os", 8, 16, 1, None),
    "odd_is_8x16_1k_calc": ("odd", "is", 8, 16, 1, None),
    "odd_ws_8x16_1k_user2": ("odd", "ws", 8, 16, 1, 2),
    "odd_os_8x16_1k_user3": ("odd", "os", 8, 16, 1, 3),
    "odd_is_8x16_1k_user2": ("odd", "is", 8, 16, 1, 2),
    "lenet_is_8x16_2k_user10": ("lenet", "is", 8, 16, 2, 10),
    "inc5b_ws_32x32_64k_user10": ("inc5b", "ws", 32, 32, 64, 10),
    "inc5b_os_32x32_64k_user10": ("inc5b", "os", 32, 32, 64, 10),
    "inc5b_is_16x8_4k_user2": ("inc5b", "is", 16, 8, 4, 2),
    "gemm_ws_32x32_8k_user4": ("gemm", "ws", 32, 32, 8, 4),
    "inc5b_ws_32x32_64k_calc": ("inc5b", "ws", 32, 32, 64, None),
    "inc5b_os_32x32_64k_calc": ("inc5b", "os", 32, 32, 64, None),
    "inc5b_is_32x32_64k_calc": ("inc5b", "is", 32, 32, 64, None),
    "gemm_ws_32x32_64k_calc": ("gemm", "ws", 32, 32, 64, None),
    "gemm_os_16x8_8k_calc": ("gemm", "os", 16, 8, 8, None),
    "alexnet_ws_32x32_64k_calc": ("alexnet", "ws", 32, 32, 64, None),
}


def config_text(
    name: str, dataflow: str, rows: int, cols: int, sram_kb: int, bw: int | None
) -> str:
    """A SCALE-Sim 3.0 config (bundled scale.cfg's keys; read buffers 32, offsets 0/10M/20M)."""
    mode = "CALC" if bw is None else "USER"
    return f"""[general]
run_name = {name}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    {sram_kb}
FilterSramSzkB:   {sram_kb}
OfmapSramSzkB:    {sram_kb}
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : {bw if bw is not None else 10}
Dataflow : {dataflow}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: {mode}
UseRamulatorTrace: False
"""


def write_inputs(case: str) -> tuple[Path, Path, Path, bool]:
    net, dataflow, rows, cols, sram_kb, bw = CASES[case]
    folder = INPUTS / case
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "scale.cfg"
    cfg.write_text(config_text(case, dataflow, rows, cols, sram_kb, bw))
    topo = folder / f"{net}.csv"
    layout = folder / f"{net}_layout.csv"
    gemm = net in GEMMS
    if gemm:
        lines = [GEMM_HEADER] + [f"{n}, {m}, {nn}, {k}," for n, (m, nn, k) in GEMMS[net]]
        names = [n for n, _ in GEMMS[net]]
    else:
        lines = [CONV_HEADER] + [f"{n}, {', '.join(map(str, r))}," for n, r in NETWORKS[net]]
        names = [n for n, _ in NETWORKS[net]]
    topo.write_text("\n".join(lines) + "\n")
    layout.write_text("\n".join([LAYOUT_HEADER] + [f"{n},{LAYOUT_ROW}," for n in names]) + "\n")
    return cfg, topo, layout, gemm


def cells(path: Path) -> list[list[str]]:
    with path.open() as f:
        rows = list(csv.reader(f))
    return [[c.strip() for c in r[:-1]] for r in rows[1:]]  # drop header and trailing empty cell


def run_case(case: str) -> tuple[str, dict[str, object]]:
    import contextlib
    import io

    from scalesim.scale_sim import scalesim

    cfg, topo, layout, gemm = write_inputs(case)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(
                save_disk_space=True,
                verbose=False,
                config=str(cfg),
                topology=str(topo),
                layout=str(layout),
                input_type_gemm=gemm,
            )
            sim.run_scale(top_path=out)
        wall_s = time.perf_counter() - start
        run = Path(out) / case
        compute, bandwidth, detail = (
            cells(run / f"{r}.csv")
            for r in ("COMPUTE_REPORT", "BANDWIDTH_REPORT", "DETAILED_ACCESS_REPORT")
        )
    net, dataflow, rows, cols, sram_kb, bw = CASES[case]
    layers = [
        {"compute": c, "bandwidth": b, "detail": d}
        for c, b, d in zip(compute, bandwidth, detail, strict=True)
    ]
    return case, {
        "network": net,
        "dataflow": dataflow,
        "rows": rows,
        "cols": cols,
        "sram_kb": sram_kb,
        "bandwidth": bw,
        "wall_s": round(wall_s, 2),
        "layers": layers,
    }


def main(argv: list[str]) -> None:
    names = argv or list(CASES)
    reference = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {}
    with ProcessPoolExecutor(max_workers=2) as pool:
        for case, result in pool.map(run_case, names):
            reference[case] = result
            print(case, result["wall_s"], "s", flush=True)
            REFERENCE.write_text(json.dumps(dict(sorted(reference.items())), indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
