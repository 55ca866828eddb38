"""SCALE-Sim 3.0's inputs read as fdsim specs, so a SCALE-Sim user runs
``fdsim run scale.cfg topology.csv`` unchanged.

* **Topology CSV** (``*.csv``) → a :class:`~fdsim.spec.workload.Workload` of ``conv_row``
  layers. SCALE-Sim's parsing rules (its ``topology_utils.py``): the first line is a header,
  whatever it says; blank lines are skipped; cells are split on ``,``; one ``Strides`` value
  serves both axes; there is no padding column (ifmaps are pre-padded); a layer whose name
  contains ``DP`` is depthwise and becomes ``Channels`` one-channel rows named
  ``<name>Channel_<i>``; a UTF-8 BOM is ignored. The GEMM form (header ``Layer Name, M, N,
  K``, SCALE-Sim's ``-i gemm``) becomes rows of an M × K ifmap, a 1 × K filter, one channel and
  N filters, as SCALE-Sim maps it. SCALE-Sim drops the last cell of every row, so its files end
  rows with a comma; fdsim drops a last cell only when it is empty, so a row without the comma
  is read whole rather than losing its stride. A sparsity cell (``N:M``) other than ``1:1`` is
  refused: fdsim does not model sparsity.
* **Config** (``*.cfg``, INI; option names case-insensitive) → a
  :class:`~fdsim.spec.hardware.HardwareSpec`: ``ArrayHeight`` × ``ArrayWidth`` systolic array
  with its ``Dataflow``; ``IfmapSramSzkB``/``FilterSramSzkB``/``OfmapSramSzkB`` × 1024 bytes as
  the activations/weights/outputs buffers (SCALE-Sim's word is one byte, so the numerics are
  8-bit words with 32-bit accumulators); ``InterfaceBandwidth`` ``USER`` takes the first
  ``Bandwidth`` value (words = bytes per cycle) as the DRAM bandwidth, ``CALC`` (SCALE-Sim's
  stall-free mode) the array's peak operand rate, rows + 2 × cols bytes per cycle (one ifmap
  word per row, one filter word and one output per column). SCALE-Sim has no clock, gradients
  buffer or vector unit: the clock is 1 GHz, the gradients buffer the size of the ofmap SRAM and
  the update, crop and activation units stream one element per column per cycle
  (assumptions, stated in the spec's description). ``[layout]``'s ``IfmapSRAMBankBandwidth``
  and ``FilterSRAMBankBandwidth`` are the read-buffer fill rates of SCALE-Sim's USER mode (its
  view of the run); the rest of ``[layout]``, offsets, request buffers (they matter only to
  SCALE-Sim's Ramulator replay) and ``[sparsity]`` with ``SparsitySupport`` false are accepted
  and ignored; sparsity on is refused.

Every error is one ``ConfigError`` naming the file, the line and the column or option.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

from fdsim.errors import ConfigError, FieldPath
from fdsim.spec.files import read_bytes, spec_text
from fdsim.spec.origin import Origin

CONV_COLUMNS = (
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
)
GEMM_COLUMNS = ("M", "N", "K")
CLOCK_HZ = 1_000_000_000
"""The clock an imported config runs at (SCALE-Sim counts cycles only)."""

_ROW_FIELDS = (
    "ifmap_height",
    "ifmap_width",
    "filter_height",
    "filter_width",
    "channels",
    "num_filters",
    "stride",
)
_OPTION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]")
_SECTION = re.compile(r"^\s*\[([^\]]+)\]")


def is_topology(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".csv"


def is_config(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".cfg"


def read_topology(path: str | Path) -> tuple[dict[str, Any], Origin]:
    """The workload fields of a SCALE-Sim topology CSV and the line of each row."""
    where = str(path)
    text = spec_text(Path(path), read_bytes(Path(path))).lstrip("\ufeff")
    lines = text.splitlines()
    if not lines:
        raise ConfigError(where, "empty topology: expected a header line and one row per layer")
    gemm = _is_gemm_header(lines[0])
    layers: list[dict[str, Any]] = []
    origin_lines: dict[FieldPath, int] = {(): 1, ("layers",): 1}
    for number, row in enumerate(lines[1:], start=2):
        if not row.strip():
            continue
        cells = [cell.strip() for cell in row.split(",")]
        if cells[-1] == "":
            cells.pop()
        for layer in _rows(where, number, cells, gemm):
            origin_lines[("layers", len(layers))] = number
            layers.append(layer)
    if not layers:
        raise ConfigError(where, "no layer rows after the header line", line=1)
    stem = Path(path).stem
    form = "GEMM" if gemm else "conv"
    data = {
        "name": stem,
        "description": f"SCALE-Sim topology {Path(path).name} ({form} form), imported",
        "batch_size": 1,
        "domain": "spatial",
        "layers": layers,
    }
    return data, Origin(where, origin_lines)


def _is_gemm_header(header: str) -> bool:
    names = [cell.strip().lower() for cell in header.split(",")]
    return names[1:4] == [c.lower() for c in GEMM_COLUMNS]


def _rows(where: str, line: int, cells: list[str], gemm: bool) -> list[dict[str, Any]]:
    columns = GEMM_COLUMNS if gemm else CONV_COLUMNS
    if len(cells) not in (len(columns) + 1, len(columns) + 2):
        raise ConfigError(
            where,
            f"expected {len(columns) + 1} cells (Layer name, {', '.join(columns)}) and an "
            f"optional sparsity N:M, got {len(cells)}",
            line=line,
        )
    name = cells[0]
    if not name:
        raise ConfigError(where, "Layer name: empty", line=line)
    numbers = cells[1 : len(columns) + 1]
    values = [
        _integer(where, line, column, cell) for column, cell in zip(columns, numbers, strict=True)
    ]
    if len(cells) == len(columns) + 2 and cells[-1].replace(" ", "") != "1:1":
        raise ConfigError(
            where,
            f"Sparsity: {cells[-1]!r} is not modelled (fdsim has no sparse dataflow); use 1:1",
            line=line,
        )
    if gemm:
        m, n, k = values
        values = [m, k, 1, k, 1, n, 1]
    row = dict(zip(_ROW_FIELDS, values, strict=True))
    if "DP" not in name:
        return [{"name": name, "kind": "conv_row", **row}]
    # SCALE-Sim's depthwise rows: one single-channel row per channel
    channels = row["channels"]
    return [
        {"name": f"{name}Channel_{index}", "kind": "conv_row", **row, "channels": 1}
        for index in range(channels)
    ]


def _integer(where: str, line: int, column: str, cell: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", cell):
        raise ConfigError(where, f"{column}: expected a whole number, got {cell!r}", line=line)
    return int(cell)


class _Config:
    """A SCALE-Sim config's options (case-insensitive) with their lines."""

    def __init__(self, path: str | Path) -> None:
        self.where = str(path)
        text = spec_text(Path(path), read_bytes(Path(path))).lstrip("\ufeff")
        self.parser = configparser.ConfigParser(interpolation=None)
        try:
            self.parser.read_string(text, source=self.where)
        except configparser.Error as error:
            line = getattr(error, "lineno", None)
            message = str(error).splitlines()[0]
            raise ConfigError(self.where, f"malformed config: {message}", line=line) from None
        self.lines: dict[tuple[str, str], int] = {}
        section = ""
        for number, row in enumerate(text.splitlines(), start=1):
            if (found := _SECTION.match(row)) is not None:
                section = found.group(1).strip().lower()
                self.lines[(section, "")] = number
            elif (option := _OPTION.match(row)) is not None:
                self.lines[(section, option.group(1).lower())] = number

    def line(self, section: str, option: str = "") -> int | None:
        return self.lines.get((section, option.lower())) or self.lines.get((section, ""))

    def text(self, section: str, option: str) -> str:
        if not self.parser.has_option(section, option):
            raise ConfigError(
                self.where,
                f"[{section}] {option}: required field missing",
                line=self.line(section),
            )
        return self.parser.get(section, option).strip()

    def positive(self, section: str, option: str) -> int:
        value = self.text(section, option)
        if not re.fullmatch(r"[0-9]{1,9}", value):
            raise self.error(section, option, f"expected a whole number, got {value!r}")
        if int(value) < 1:
            raise self.error(section, option, f"must be at least 1, got {value}")
        return int(value)

    def error(self, section: str, option: str, message: str) -> ConfigError:
        return ConfigError(
            self.where, f"[{section}] {option}: {message}", line=self.line(section, option)
        )


def _word_format(total_bits: int, fraction_bits: int) -> dict[str, Any]:
    return {"total_bits": total_bits, "fraction_bits": fraction_bits}


def read_config(path: str | Path) -> tuple[dict[str, Any], Origin]:
    """The hardware fields of a SCALE-Sim config and, for each, the line of its option."""
    config = _Config(path)
    arch = "architecture_presets"
    rows, cols = config.positive(arch, "ArrayHeight"), config.positive(arch, "ArrayWidth")
    dataflow = config.text(arch, "Dataflow").lower()
    if dataflow not in ("ws", "os", "is"):
        raise config.error(arch, "Dataflow", f"expected ws, os or is, got {dataflow!r}")
    sizes = {
        option: config.positive(arch, option) * 1024
        for option in ("IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB")
    }
    mode = config.text("run_presets", "InterfaceBandwidth").upper()
    if mode == "USER":
        first = config.text(arch, "Bandwidth").split(",")[0].strip()
        if not re.fullmatch(r"[0-9]{1,9}", first) or int(first) == 0:
            raise config.error(arch, "Bandwidth", f"expected words per cycle, got {first!r}")
        bytes_per_cycle = int(first)
    elif mode == "CALC":
        bytes_per_cycle = rows + 2 * cols
    else:
        raise config.error(
            "run_presets", "InterfaceBandwidth", f"expected USER or CALC, got {mode!r}"
        )
    if (
        config.parser.has_option("sparsity", "SparsitySupport")
        and config.text("sparsity", "SparsitySupport").lower() == "true"
    ):
        raise config.error(
            "sparsity", "SparsitySupport", "sparsity is not modelled by fdsim; set it False"
        )
    # SCALE-Sim 3.0 fills its read buffers at these [layout] rates in USER mode (10 when absent)
    fill = {
        option: config.positive("layout", option)
        if config.parser.has_option("layout", option)
        else 10
        for option in ("IfmapSRAMBankBandwidth", "FilterSRAMBankBandwidth")
    }
    name = (
        config.text("general", "run_name")
        if config.parser.has_option("general", "run_name")
        else Path(path).stem
    )

    def buffer(size_bytes: int, bytes_per_cycle: int) -> dict[str, Any]:
        return {
            "size_bytes": size_bytes,
            "banks": 1,
            "bytes_per_cycle": bytes_per_cycle,
            "word_bytes": 1,
        }

    data: dict[str, Any] = {
        "name": name,
        "description": (
            f"imported from SCALE-Sim config {Path(path).name}: {rows}×{cols} {dataflow} "
            f"array, {mode} interface bandwidth; assumed: {CLOCK_HZ // 10**6} MHz clock, "
            "gradients buffer = ofmap SRAM, update/crop/activation units one element per "
            "column per cycle, 8-bit words, 32-bit accumulators"
        ),
        "clock_hz": CLOCK_HZ,
        "systolic_array": {
            "rows": rows,
            "cols": cols,
            "dataflow": dataflow,
            "interface_bandwidth": mode.lower(),
            "ifmap_fill_words_per_cycle": fill["IfmapSRAMBankBandwidth"],
            "filter_fill_words_per_cycle": fill["FilterSRAMBankBandwidth"],
        },
        "crop": {"elements_per_cycle": cols},
        "activation": {"elements_per_cycle": cols},
        "update": {"elements_per_cycle": cols},
        "buffers": {
            "activations": buffer(sizes["IfmapSramSzkB"], rows),
            "weights": buffer(sizes["FilterSramSzkB"], cols),
            # outputs and gradients: one 32-bit partial sum per column per cycle, written and
            # read back (SCALE-Sim's SRAMs never stall its array)
            "gradients": buffer(sizes["OfmapSramSzkB"], 8 * cols),
            "outputs": buffer(sizes["OfmapSramSzkB"], 8 * cols),
        },
        # SCALE-Sim's interface moves single words, with no latency and no queue limit
        "dram": {
            "bandwidth_bytes_per_s": bytes_per_cycle * CLOCK_HZ,
            "latency_ns": 0,
            "burst_bytes": 1,
        },
        "numerics": {
            "activations": _word_format(8, 4),
            "weights": _word_format(8, 6),
            "gradients": _word_format(8, 6),
            "spectra": _word_format(8, 4),
            "accumulators": _word_format(32, 10),
            "twiddles": _word_format(8, 6),
        },
        "energy_table": "28nm",
    }
    lines: dict[FieldPath, int] = {(): 1}
    for field, (section, option) in {
        ("systolic_array", "rows"): (arch, "ArrayHeight"),
        ("systolic_array", "cols"): (arch, "ArrayWidth"),
        ("systolic_array", "dataflow"): (arch, "Dataflow"),
        ("buffers", "activations"): (arch, "IfmapSramSzkB"),
        ("buffers", "weights"): (arch, "FilterSramSzkB"),
        ("buffers", "gradients"): (arch, "OfmapSramSzkB"),
        ("buffers", "outputs"): (arch, "OfmapSramSzkB"),
        ("dram",): ("run_presets", "InterfaceBandwidth"),
    }.items():
        line = config.line(section, option)
        if line is not None:
            lines[field] = line
    return data, Origin(config.where, lines)
