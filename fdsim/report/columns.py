"""The column dictionary of ``layers.csv``, ``traffic.csv`` and ``bandwidth.csv``: unit and
meaning of each column, printed in report.md (a test checks it names every column the tables
have, and no other)."""

from __future__ import annotations

from fdsim.counts import CriticalCause, StallCause
from fdsim.vocabulary import Unit

_CRITICAL = {
    CriticalCause.DRAM_BANDWIDTH: "waiting while a DMA transfer it needs streams",
    CriticalCause.DRAM_LATENCY: "waiting out that transfer's DRAM latency",
    CriticalCause.DEPENDENCY: "waiting for another unit's result before that unit started it",
    CriticalCause.UNIT_BUSY: "waiting for another unit's result while that unit computed it",
    CriticalCause.BUFFER_FULL: "waiting for SRAM space",
    CriticalCause.SRAM_BANK: "waiting for SRAM bank ports other units' ops held",
    CriticalCause.OTHER_LAYERS: "running (or waiting for) an overlapping layer's op",
    CriticalCause.DRAIN: "after its last op of the layer, while other units finish the layer "
    "and DRAM latency elapses",
}
_UNIT_STALL = {
    StallCause.DRAM_BANDWIDTH: "waited while a DMA transfer it needs streamed",
    StallCause.DRAM_LATENCY: "waited out that transfer's DRAM latency (the channel free)",
    StallCause.DEPENDENCY: "waited for another unit's result before that unit started it",
    StallCause.UNIT_BUSY: "waited for another unit's result while that unit computed it",
    StallCause.BUFFER_FULL: "waited for SRAM space",
    StallCause.SRAM_BANK: "waited for SRAM bank ports other units' ops held",
    StallCause.SRAM_BANDWIDTH: "of its busy cycles, the ones its SRAM ports (not its compute) "
    "needed: inside `busy_cycles`, not in addition",
}
_UNITS = ", ".join(unit.value for unit in Unit)

LAYERS_COLUMNS: dict[str, tuple[str, str]] = {
    "layer": ("—", "layer name (workload)"),
    "phase": ("—", "training phase: fwd, bwd_data, bwd_weight, update"),
    "kind": ("—", "layer kind: conv, pool, activation, fc, loss"),
    "domain": ("—", "execution domain: spectral, hybrid, spatial"),
    "layer_cycles": (
        "cycles",
        "the layer's span: its first op's start to its last result usable (per layer; "
        "repeated on each unit row)",
    ),
    "bound_cycles": ("cycles", "analytic lower bound of the layer (per layer)"),
    "busiest_unit": ("—", "the unit with the most busy cycles in the layer (per layer)"),
    **{
        f"critical_stall_{cause.value}_cycles": (
            "cycles",
            f"critical-path stall (per layer): cycles of the span the busiest unit spent {text}; "
            f"the {len(CriticalCause)} causes sum to layer_cycles − the busiest unit's "
            "busy_cycles",
        )
        for cause, text in _CRITICAL.items()
    },
    "unit": (
        "—",
        f"the unit of this row: {_UNITS}, or sram (the buffers: leakage only; SRAM accesses are "
        "charged to the unit that makes them); dma is the DRAM↔SRAM transfer engine",
    ),
    "ops": ("ops", "ops the unit ran for the layer"),
    "busy_cycles": ("cycles", "cycles the unit was occupied by the layer's ops"),
    **{
        f"unit_stall_{cause.value}_cycles": (
            "cycles",
            f"per unit, summed over its ops: cycles it {text}"
            + ("" if cause is StallCause.SRAM_BANDWIDTH else ", counted from the layer's start"),
        )
        for cause, text in _UNIT_STALL.items()
    },
    "utilisation": ("fraction", "busy_cycles / layer_cycles"),
    "mults": ("operations", "real multiplies performed (all widths)"),
    "adds": ("operations", "real adds performed (all widths)"),
    "sram_read_bytes": ("bytes", "bytes the unit read from SRAM buffers"),
    "sram_write_bytes": ("bytes", "bytes the unit wrote to SRAM buffers"),
    "dram_read_bytes": ("bytes", "bytes read from DRAM (dma rows only)"),
    "dram_write_bytes": ("bytes", "bytes written to DRAM (dma rows only)"),
    "compute_energy_pj": ("pJ", "energy of the unit's multiplies and adds"),
    "sram_energy_pj": ("pJ", "energy of the unit's SRAM accesses"),
    "dram_energy_pj": ("pJ", "energy of DRAM accesses (dma rows: the transfers' DRAM side)"),
    "leakage_energy_pj": ("pJ", "the unit's static power over layer_cycles"),
    "energy_pj": ("pJ", "compute + SRAM + DRAM + leakage energy of the row"),
}

TRAFFIC_COLUMNS: dict[str, tuple[str, str]] = {
    "layer": ("—", "layer name"),
    "phase": ("—", "training phase"),
    "level": ("—", "memory level: sram or dram"),
    "memory": (
        "—",
        "sram: the buffer (activations, weights, gradients, outputs, or the FFT unit's "
        "transpose memory); dram: the tensor "
        "(activations, weights, gradients, stash, velocity)",
    ),
    "direction": ("—", "read or write"),
    "bytes": ("bytes", "bytes moved"),
}


_PEAK = (
    "each op's bytes spread uniformly over its busy interval [start, end), the largest sum over "
    "time of the rates of the ops busy at one instant"
)

BANDWIDTH_COLUMNS: dict[str, tuple[str, str]] = {
    "layer": ("—", "layer name; empty on a row of the whole step"),
    "phase": ("—", "training phase; empty on a row of the whole step"),
    "level": ("—", "memory level: sram or dram"),
    "memory": (
        "—",
        "sram: the buffer (activations, weights, gradients, outputs, transpose; SRAM traffic "
        "is known per buffer, not per tensor); dram: the tensor (activations, weights, "
        "gradients, stash, velocity); all: every memory of the level",
    ),
    "direction": ("—", "read, write, or all (both)"),
    "bytes": ("bytes", "bytes moved (exact; the rows of traffic.csv and their sums)"),
    "span_cycles": (
        "cycles",
        "the span the average is over: the layer's layer_cycles, or the step's total cycles",
    ),
    "average_bytes_per_cycle": ("bytes/cycle", "bytes / span_cycles"),
    "average_gb_per_s": ("GB/s", "the average at the clock, in 10⁹ bytes per second"),
    "peak_bytes_per_cycle": ("bytes/cycle", f"peak bandwidth: {_PEAK}"),
    "peak_gb_per_s": ("GB/s", "the peak at the clock, in 10⁹ bytes per second"),
}


def dictionary_lines() -> list[str]:
    """Markdown tables of the three dictionaries."""
    lines: list[str] = []
    for name, columns in (
        ("layers.csv", LAYERS_COLUMNS),
        ("traffic.csv", TRAFFIC_COLUMNS),
        ("bandwidth.csv", BANDWIDTH_COLUMNS),
    ):
        lines += [f"`{name}`:", "", "| column | unit | meaning |", "|---|---|---|"]
        lines += [f"| `{column}` | {unit} | {text} |" for column, (unit, text) in columns.items()]
        lines.append("")
    return lines
