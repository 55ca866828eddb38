"""Loading a saved run (``RunResult.save``, ``fdsim run``) back into a ``RunResult``.

A folder loads when fdsim wrote it as a run (its output marker says so), it holds every file
:func:`fdsim.results.write_tables` writes (``bandwidth.csv`` may be missing from a folder
saved before it existed: the table is then empty), and its summary's ``schema_version`` is this
fdsim's :data:`fdsim.results.SCHEMA_VERSION`; anything else is a one-line ``ConfigError``
naming the file. The specs are read back by the spec loaders, so a damaged one is refused by
file, line and field like any spec file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from fdsim.bandwidth import BANDWIDTH_COLUMNS
from fdsim.errors import ConfigError
from fdsim.numerics import FunctionalNumerics
from fdsim.output import OutputKind, output_kind
from fdsim.results import (
    BANDWIDTH_FILE,
    NUMERICS_FILES,
    SCHEMA_VERSION,
    SPEC_FILES,
    SUMMARY_FILE,
    TABLE_FILES,
    RunResult,
)
from fdsim.spec.load import load_energy_table, load_hardware, load_workload
from fdsim.summary import Summary


def load_result(directory: str | Path) -> RunResult:
    """The run saved in ``directory``, equal to the one saved (tables, summary, specs,
    numerics); ``ConfigError`` when it is not a complete run of this schema version."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError(str(folder), "no such folder: expected an fdsim run folder")
    if output_kind(folder) is not OutputKind.RUN:
        raise ConfigError(str(folder), "is not an fdsim run folder (no fdsim run marker)")
    summary = _summary(folder / SUMMARY_FILE)
    # No NaN in these tables: an empty field is an empty string (``busiest_unit``, ``memory``).
    tables = {name: _csv(folder / file, na_filter=False) for name, file in TABLE_FILES.items()}
    numerics = None
    if summary.numerics is not None:
        frames = {name: _csv(folder / file) for name, file in NUMERICS_FILES.items()}
        numerics = FunctionalNumerics(
            frames["sqnr"],
            frames["overflows"],
            summary.numerics.source,
            summary.numerics.seed,
        )
    # older folders of this schema have no bandwidth table: an empty one
    bandwidth = (
        _csv(folder / BANDWIDTH_FILE, na_filter=False)
        if (folder / BANDWIDTH_FILE).is_file()
        else pd.DataFrame(columns=BANDWIDTH_COLUMNS)
    )
    paths = {name: _present(folder / file) for name, file in SPEC_FILES.items()}
    return RunResult(
        tables["layers"],
        tables["traffic"],
        tables["counts"],
        summary,
        load_hardware(paths["hardware"]).spec,
        load_workload(paths["workload"]).spec,
        load_energy_table(paths["energy_table"]).spec,
        numerics,
        bandwidth,
    )


def _present(path: Path) -> Path:
    if not path.is_file():
        raise ConfigError(str(path), "missing: the run folder is incomplete")
    return path


def _csv(path: Path, *, na_filter: bool = True) -> pd.DataFrame:
    """A table as written (pandas reads floats back to the last bit)."""
    try:
        return pd.read_csv(_present(path), na_filter=na_filter)
    except (ValueError, OSError) as problem:
        raise ConfigError(str(path), f"not a readable table: {problem}") from None


def _summary(path: Path) -> Summary:
    try:
        summary = json.loads(_present(path).read_text(encoding="utf-8"))
    except (ValueError, OSError) as problem:
        raise ConfigError(str(path), f"not readable JSON: {problem}") from None
    if not isinstance(summary, dict):
        raise ConfigError(str(path), "expected a JSON object")
    version = summary.get("schema_version")
    if version != SCHEMA_VERSION:
        found = "missing" if version is None else repr(version)
        raise ConfigError(
            str(path),
            f"{found}, expected {SCHEMA_VERSION} (saved by another fdsim version: run it again)",
            field="schema_version",
        )
    try:
        return Summary.from_json(summary)
    except (KeyError, TypeError, AttributeError) as problem:
        raise ConfigError(str(path), f"not a run summary: {problem}") from None
