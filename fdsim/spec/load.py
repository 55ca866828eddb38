"""Reading spec files: the one place that touches YAML or raw dicts.

A spec file is small, hand-written text, so everything else is refused before or while it is
parsed, each with one line naming the file (and the line where there is one):

* only regular files (a FIFO or device is never opened: opening one blocks or never ends), of
  at most ``MAX_SPEC_FILE_BYTES``, readable, UTF-8, without control characters other than tab,
  line feed and carriage return;
* YAML is read with ruamel.yaml's round-trip loader (YAML 1.2: ``on`` is a string, ``1e3`` a
  number; it keeps the line of every key, so a validation error names ``file:line: field``),
  through a composer that refuses anchors and aliases (so merge keys ``<<: *a`` and "billion
  laughs" expansions cannot occur), every explicit tag (``!!binary``, ``!!python/..``,
  ``!<..>``, ``!foo``: a spec holds plain scalars, lists and mappings only), ``%`` directives,
  and nesting deeper than ``MAX_NESTING_DEPTH``;
* keys must be names (strings), and each may appear once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode

from fdsim.errors import ConfigError, FieldPath, SpecFieldError, format_field_path
from fdsim.spec import scalesim
from fdsim.spec.energy import EnergyTable
from fdsim.spec.fft_arithmetic import FftCoreSpec
from fdsim.spec.files import NOT_TEXT, read_bytes, spec_text
from fdsim.spec.hardware import HardwareSpec, is_energy_table_name
from fdsim.spec.messages import describe, shown
from fdsim.spec.origin import Located, Origin, located
from fdsim.spec.workload import Workload

MAX_NESTING_DEPTH = 64
"""Deepest nesting of nodes: the top-level mapping is level 1, its values level 2, and so on
(the shipped specs reach level 5)."""

SHIPPED_ENERGY_TABLES = Path(__file__).resolve().parent.parent / "data" / "energy"
"""Energy tables packaged with fdsim, found by name (``energy_table: 28nm``)."""

ModelT = TypeVar("ModelT", bound=BaseModel)
SpecT = TypeVar("SpecT")


@dataclass(frozen=True)
class Loaded(Generic[SpecT]):
    """A validated spec with its origin (a top-level spec also carries it itself:
    :class:`fdsim.spec.origin.Located`)."""

    spec: SpecT
    origin: Origin


def canonical_hash(spec: BaseModel) -> str:
    """SHA-256 of the spec's canonical JSON (sorted keys): equal specs, equal hashes."""
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class _Refused(Exception):
    """A YAML construct spec files do not allow, at ``line`` (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _SpecComposer(Composer):
    """ruamel's composer, refusing aliases, anchors, tags, merge keys and deep nesting before
    it builds the node (so nothing is expanded and the recursion stays shallow)."""

    spec_depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            raise _Refused(line, "aliases (*name) are not allowed in spec files: write the value")
        if event.anchor is not None:
            raise _Refused(line, "anchors (&name) are not allowed in spec files")
        if event.ctag is not None:
            raise _Refused(
                line,
                f"tags ({_written(str(event.ctag))}) are not allowed in spec files: "
                "write a plain value",
            )
        is_key = isinstance(parent, MappingNode) and index is None
        if (
            is_key
            and isinstance(event, ScalarEvent)
            and event.style is None
            and event.value == "<<"
        ):
            raise _Refused(line, "merge keys (<<) are not allowed in spec files")
        if self.spec_depth >= MAX_NESTING_DEPTH:
            raise _Refused(line, f"nested deeper than {MAX_NESTING_DEPTH} levels")
        self.spec_depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.spec_depth -= 1


def _written(tag: str) -> str:
    """A resolved tag as a user writes it: ``!!binary``, ``!foo`` or verbatim ``!<..>``."""
    if tag.startswith("!"):
        return tag
    core = "tag:yaml.org,2002:"
    return f"!!{tag.removeprefix(core)}" if tag.startswith(core) else f"!<{tag}>"


def _parse(where: str, text: str) -> Any:
    """The document in ``text``; any YAML problem is a ``ConfigError`` at its line."""
    yaml = YAML(typ="rt")
    yaml.Composer = _SpecComposer
    try:
        return yaml.load(text)
    except _Refused as refused:
        raise ConfigError(where, refused.message, line=refused.line) from None
    except DuplicateKeyError as error:
        mark = error.problem_mark
        raise ConfigError(
            where,
            "duplicate key (each key may appear once)",
            line=mark.line + 1 if mark else None,
            field=_duplicate_key_name(error),
        ) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid syntax"
        raise ConfigError(
            where, f"malformed YAML: {problem}", line=mark.line + 1 if mark else None
        ) from None
    except YAMLError as error:
        raise ConfigError(where, f"malformed YAML: {error}") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise ConfigError(where, f"malformed YAML: {error}") from None
    except RecursionError:  # a last resort: the composer's depth cap comes first
        raise ConfigError(where, f"nested deeper than {MAX_NESTING_DEPTH} levels") from None


def _plain(node: Any, path: FieldPath, lines: dict[FieldPath, int], where: str) -> Any:
    """Turn ruamel's nodes into plain Python values, recording the line of each field."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            line, _column = getattr(node, "lc").key(key)  # noqa: B009 (ruamel adds .lc)
            if not isinstance(key, str):
                given = (
                    shown(key)
                    if key is None or isinstance(key, int | float)
                    else "a list or mapping"
                )
                raise ConfigError(where, f"keys must be field names, got {given}", line=line + 1)
            child = (*path, key)
            lines[child] = line + 1
            out[key] = _plain(value, child, lines, where)
        return out
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            line, _column = getattr(node, "lc").item(index)  # noqa: B009
            lines[child] = line + 1
            items.append(_plain(value, child, lines, where))
        return items
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        bad = NOT_TEXT.search(node)
        if bad is not None:  # written as an escape ("\a"), so the bytes passed
            raise ConfigError(
                where,
                f"control character U+{ord(bad.group()):04X} in a string",
                line=lines.get(path),
                field=format_field_path(path) or None,
            )
        return str(node)
    return node


def read_yaml(path: str | Path) -> tuple[dict[str, Any], Origin]:
    """Parse a spec file whose top level is a mapping (see the module docstring for what is
    refused); every error is a ``ConfigError`` naming the file and, where known, the line."""
    where = str(path)
    document = _parse(where, spec_text(Path(path), read_bytes(Path(path))))
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else "a single value"
        kind = "an empty file" if document is None else kind
        raise ConfigError(where, f"expected a mapping of fields at the top level, got {kind}")
    lines: dict[FieldPath, int] = {(): 1}
    return _plain(document, (), lines, where), Origin(where, lines)


def _duplicate_key_name(error: DuplicateKeyError) -> str | None:
    problem = error.problem or ""
    start = problem.find('"')
    end = problem.find('"', start + 1)
    return problem[start + 1 : end] if 0 <= start < end else None


def validate(data: dict[str, Any], model: type[ModelT], origin: Origin) -> ModelT:
    """Validate ``data`` as ``model``; the first error (by line) becomes a ConfigError. A
    top-level spec (:class:`Located`) keeps ``origin``."""
    try:
        spec = model.model_validate(data)
    except ValidationError as error:
        problems = [describe(detail, data) for detail in error.errors()]
        problems.sort(key=lambda problem: origin.line_of(problem.path) or 0)
        raise origin.error(problems[0]) from None
    boolean = _boolean_number(data, spec, ())
    if boolean is not None:
        path, value = boolean
        raise origin.error(SpecFieldError("", path, f"expected a number, got {value}"))
    return located(spec, origin) if isinstance(spec, Located) else spec


def _boolean_number(data: Any, spec: Any, path: FieldPath) -> tuple[FieldPath, str] | None:
    """The first field where a YAML boolean became a number (pydantic reads ``lanes: true``
    as 1 lane), found by walking the data beside what it validated to."""
    if isinstance(data, bool):
        return None if isinstance(spec, bool) else (path, str(data).lower())
    if isinstance(data, dict) and isinstance(spec, BaseModel):
        children = [(key, value, getattr(spec, key)) for key, value in data.items()]
    elif isinstance(data, list) and isinstance(spec, tuple) and len(data) == len(spec):
        children = [(index, value, spec[index]) for index, value in enumerate(data)]
    else:
        return None
    for key, value, validated in children:
        found = _boolean_number(value, validated, (*path, key))
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class _Kind:
    """A kind of spec file, told by a top-level field only it has."""

    key: str
    name: str
    described: str
    model: type[BaseModel]


_KINDS = (
    _Kind("layers", "workload", "a workload", Workload),
    _Kind("clock_hz", "hardware", "a hardware config", HardwareSpec),
    _Kind("int_mult", "energy table", "an energy table", EnergyTable),
    _Kind("arithmetic", "FFT core", "an FFT core", FftCoreSpec),
)
_ORDER_HINT = " (arguments go hardware first, then workload: fdsim run|train HARDWARE WORKLOAD)"


def _read(path: str | Path, expected: _Kind) -> tuple[dict[str, Any], Origin]:
    """A spec file's fields: YAML, or a SCALE-Sim topology (``.csv``, a workload) or config
    (``.cfg``, a hardware config) read by ``fdsim.spec.scalesim``."""
    imported = {"workload": scalesim.is_topology, "hardware": scalesim.is_config}
    for name, matches in imported.items():
        if matches(path):
            if expected.name != name:
                found = next(kind for kind in _KINDS if kind.name == name)
                raise ConfigError(
                    str(path),
                    f"is {found.described} (SCALE-Sim), expected {expected.described}"
                    + (_ORDER_HINT if expected.name in imported else ""),
                )
            reader = scalesim.read_topology if name == "workload" else scalesim.read_config
            return reader(path)
    return read_yaml(path)


def load_model(path: str | Path, model: type[ModelT]) -> Loaded[ModelT]:
    """Read and validate ``path`` as ``model``; a file of another kind (a workload given where
    the hardware goes) is refused as such, not by the first field it lacks."""
    expected = next(kind for kind in _KINDS if kind.model is model)
    data, origin = _read(path, expected)
    if expected.key not in data:
        found = next((kind for kind in _KINDS if kind.key in data), None)
        if found is not None:
            swapped = {found.name, expected.name} == {"workload", "hardware"}
            raise ConfigError(
                origin.path,
                f"is {found.described}, expected {expected.described}"
                + (_ORDER_HINT if swapped else ""),
            )
    return Loaded(validate(data, model, origin), origin)


def load_hardware(path: str | Path) -> Loaded[HardwareSpec]:
    return load_model(path, HardwareSpec)


def load_workload(path: str | Path) -> Loaded[Workload]:
    return load_model(path, Workload)


def load_energy_table(path: str | Path) -> Loaded[EnergyTable]:
    return load_model(path, EnergyTable)


def load_fft_core(path: str | Path) -> Loaded[FftCoreSpec]:
    return load_model(path, FftCoreSpec)


def shipped_energy_tables() -> list[str]:
    """Names of the energy tables packaged with fdsim (``28nm``, ``45nm``, ...)."""
    return sorted(path.stem for path in SHIPPED_ENERGY_TABLES.glob("*.yaml"))


def energy_table_path(hardware: Loaded[HardwareSpec]) -> Path:
    """The hardware's energy table: a shipped table by name (``28nm`` is the packaged
    ``fdsim/data/energy/28nm.yaml``), else a path relative to the hardware file's folder (the
    spec refuses absolute paths and ``..``). A table that does not exist is a ``ConfigError``
    on the hardware file's ``energy_table`` line."""
    value = hardware.spec.energy_table
    if is_energy_table_name(value):
        path = _shipped_table(value)
        problem = _no_shipped_table(value)
    else:
        path = Path(hardware.origin.path).parent / value
        problem = (
            f"file not found: {path} (a path is relative to this file's folder; "
            f"shipped tables by name: {', '.join(shipped_energy_tables())})"
        )
    if not path.exists():
        raise hardware.origin.error(SpecFieldError("hardware", ("energy_table",), problem))
    return path


def energy_table_file(name_or_path: str | Path) -> Path:
    """The file of an energy table given by name or path: a ``str`` that is a name (letters,
    digits, ``_`` and ``-``, as ``28nm``) is a shipped table, anything else (and any ``Path``)
    a file. An unknown name is a ``ConfigError`` listing the shipped ones."""
    if isinstance(name_or_path, str) and is_energy_table_name(name_or_path):
        path = _shipped_table(name_or_path)
        if not path.exists():
            raise ConfigError(name_or_path, _no_shipped_table(name_or_path))
        return path
    return Path(name_or_path)


def _shipped_table(name: str) -> Path:
    """Where the shipped table ``name`` is (it may not exist)."""
    return _as_given(SHIPPED_ENERGY_TABLES / f"{name}.yaml")


def _no_shipped_table(name: str) -> str:
    return f"no shipped energy table named {name!r} (shipped: {', '.join(shipped_energy_tables())})"


def _as_given(path: Path) -> Path:
    """A packaged file as users give their own: relative to the current folder when inside it
    (reports made in the checkout say ``fdsim/data/energy/28nm.yaml``), else absolute."""
    try:
        return path.relative_to(Path.cwd())
    except (ValueError, OSError):  # outside the current folder, or that folder was deleted
        return path


def detect_and_load(path: str | Path) -> str:
    """Validate a spec file of any kind, telling the kind from its fields, and a hardware
    config's energy table with it; returns the kind."""
    if scalesim.is_topology(path) or scalesim.is_config(path):
        data, origin = _read(path, _KINDS[0] if scalesim.is_topology(path) else _KINDS[1])
    else:
        data, origin = read_yaml(path)
    for kind in _KINDS:
        if kind.key in data:
            spec = validate(data, kind.model, origin)
            if isinstance(spec, HardwareSpec):
                load_energy_table(energy_table_path(Loaded(spec, origin)))
            return kind.name
    raise ConfigError(
        origin.path,
        "cannot tell the kind of spec: expected a workload (layers), hardware (clock_hz), "
        "energy table (int_mult) or FFT core (arithmetic)",
        line=1,
    )
