"""Reading spec files: the one place that touches YAML or raw dicts.

YAML is read with ruamel.yaml's round-trip loader, which is safe (it builds only plain mappings,
sequences and scalars), follows YAML 1.2 (``on`` is a string, ``1e3`` a number) and keeps the
line of every key, so a validation error can name ``file:line: field``. Duplicate keys are an
error rather than last-one-wins.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from fdsim.errors import ConfigError, FieldPath, SpecFieldError, format_field_path
from fdsim.spec.energy import EnergyTable
from fdsim.spec.fft_arithmetic import FftCoreSpec
from fdsim.spec.hardware import HardwareSpec
from fdsim.spec.workload import Workload

ModelT = TypeVar("ModelT", bound=BaseModel)
SpecT = TypeVar("SpecT")


@dataclass(frozen=True)
class Origin:
    """Where a spec came from: its file and the line of each of its fields."""

    path: str
    lines: dict[FieldPath, int]

    def line_of(self, field: FieldPath) -> int | None:
        """Line of ``field``, or of its nearest ancestor that has one."""
        for end in range(len(field), -1, -1):
            line = self.lines.get(tuple(field[:end]))
            if line is not None:
                return line
        return None

    def error(self, problem: SpecFieldError) -> ConfigError:
        return ConfigError(
            self.path,
            problem.message,
            line=self.line_of(problem.path),
            field=format_field_path(problem.path),
        )


@dataclass(frozen=True)
class Loaded(Generic[SpecT]):
    """A validated spec with its origin."""

    spec: SpecT
    origin: Origin


def canonical_hash(spec: BaseModel) -> str:
    """SHA-256 of the spec's canonical JSON (sorted keys): equal specs, equal hashes."""
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(node: Any, path: FieldPath, lines: dict[FieldPath, int]) -> Any:
    """Turn ruamel's nodes into plain Python values, recording the line of each field."""
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, key)
            line, _column = getattr(node, "lc").key(key)  # noqa: B009 (ruamel adds .lc)
            lines[child] = line + 1
            out[key] = _plain(value, child, lines)
        return out
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            line, _column = getattr(node, "lc").item(index)  # noqa: B009
            lines[child] = line + 1
            items.append(_plain(value, child, lines))
        return items
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def read_yaml(path: Path) -> tuple[dict[str, Any], Origin]:
    """Parse a YAML file whose top level is a mapping; errors name the file and line."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(shown, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(shown, "is a directory, expected a YAML file") from None
    except UnicodeDecodeError:
        raise ConfigError(shown, "not a UTF-8 text file") from None
    try:
        document = YAML(typ="rt").load(text)
    except DuplicateKeyError as error:
        mark = error.problem_mark
        key = _duplicate_key_name(error)
        raise ConfigError(
            shown,
            "duplicate key (each key may appear once)",
            line=mark.line + 1 if mark else None,
            field=key,
        ) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid syntax"
        raise ConfigError(
            shown, f"malformed YAML: {problem}", line=mark.line + 1 if mark else None
        ) from None
    if not isinstance(document, dict):
        kind = "an empty file" if document is None else type(document).__name__
        raise ConfigError(shown, f"expected a mapping of fields at the top level, got {kind}")
    lines: dict[FieldPath, int] = {(): 1}
    return _plain(document, (), lines), Origin(shown, lines)


def _duplicate_key_name(error: DuplicateKeyError) -> str | None:
    problem = error.problem or ""
    start = problem.find('"')
    end = problem.find('"', start + 1)
    return problem[start + 1 : end] if 0 <= start < end else None


def validate(data: dict[str, Any], model: type[ModelT], origin: Origin) -> ModelT:
    """Validate ``data`` as ``model``; the first error (by line) becomes a ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [_describe(detail, data) for detail in error.errors()]
        problems.sort(key=lambda problem: origin.line_of(problem.path) or 0)
        raise origin.error(problems[0]) from None


def load_model(path: Path, model: type[ModelT]) -> Loaded[ModelT]:
    data, origin = read_yaml(path)
    return Loaded(validate(data, model, origin), origin)


def load_hardware(path: Path) -> Loaded[HardwareSpec]:
    return load_model(path, HardwareSpec)


def load_workload(path: Path) -> Loaded[Workload]:
    return load_model(path, Workload)


def load_energy_table(path: Path) -> Loaded[EnergyTable]:
    return load_model(path, EnergyTable)


def load_fft_core(path: Path) -> Loaded[FftCoreSpec]:
    return load_model(path, FftCoreSpec)


def energy_table_path(hardware: Loaded[HardwareSpec]) -> Path:
    """The hardware's energy table, resolved relative to the hardware file."""
    return Path(hardware.origin.path).parent / hardware.spec.energy_table


# --- turning pydantic's error records into one short, specific sentence ---------------------

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
}


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)


def _data_path(loc: tuple[str | int, ...], data: Any) -> FieldPath:
    """Drop the parts of pydantic's location that are not in the data (union tags)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[int(part)]
        elif not last:
            continue
        path.append(part)
    return tuple(path)


def _describe(detail: ErrorDetails, data: dict[str, Any]) -> SpecFieldError:
    kind = detail["type"]
    path = _data_path(tuple(detail["loc"]), data)
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    given = detail.get("input")
    if kind == "missing":
        return SpecFieldError("", path, "required field missing")
    if kind == "extra_forbidden":
        return SpecFieldError("", path, "unknown field")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = (*path, context.get("discriminator", "kind").strip("'"))
        expected = context.get("expected_tags", "")
        if kind == "union_tag_not_found":
            return SpecFieldError("", field, f"required field missing (one of {expected})")
        return SpecFieldError("", field, f"must be one of {expected}, got {context.get('tag')!r}")
    if kind in _EXPECTED:
        return SpecFieldError("", path, f"expected {_EXPECTED[kind]}, got {_shown(given)}")
    if kind in ("enum", "literal_error"):
        return SpecFieldError("", path, f"must be {context.get('expected')}, got {_shown(given)}")
    if kind == "value_error":
        message = str(detail["msg"]).removeprefix("Value error, ")
        return SpecFieldError("", path, message)
    message = str(detail["msg"]).replace("Input should be", "must be")
    message = message[:1].lower() + message[1:]
    if not isinstance(given, dict | list):
        message += f", got {_shown(given)}"
    return SpecFieldError("", path, message)


def detect_and_load(path: Path) -> str:
    """Validate a spec file of any kind, telling the kind from its fields; returns the kind."""
    data, origin = read_yaml(path)
    kinds: list[tuple[str, str, type[BaseModel]]] = [
        ("layers", "workload", Workload),
        ("clock_hz", "hardware", HardwareSpec),
        ("int_mult", "energy table", EnergyTable),
        ("arithmetic", "FFT core", FftCoreSpec),
    ]
    for key, kind, model in kinds:
        if key in data:
            validate(data, model, origin)
            return kind
    raise ConfigError(
        origin.path,
        "cannot tell the kind of spec: expected a workload (layers), hardware (clock_hz), "
        "energy table (int_mult) or FFT core (arithmetic)",
        line=1,
    )
