"""Changing fields of a validated spec: a new spec, validated again as if its file said so.

A field is named by its dotted path, list entries by index in brackets, as error messages
write them: ``cmac.lanes``, ``dram.bandwidth_bytes_per_s``, ``layers[2].kernel``. A value is
what the YAML file would hold (``128``, ``"three_mult"``, a mapping for a whole sub-spec);
enums and specs are accepted as their plain form.

Every refusal is the one-line ``ConfigError`` a file with that value would give, at the line
of the original file where the spec was read from one (``hw.yaml:14: cmac.lanes: must be at
least 1, got -3``), else at ``<hardware>`` (``<workload>``, ``<energy table>``). A path that
names no field is refused naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from fdsim.errors import ConfigError, FieldPath, format_field_path
from fdsim.spec.load import validate
from fdsim.spec.origin import LocatedT, Origin, located, origin_or_placeholder

_PIECE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[0-9]+\])*)")
_INDEX = re.compile(r"\[([0-9]+)\]")
_KINDS = {"HardwareSpec": "hardware", "Workload": "workload", "EnergyTable": "energy table"}


def override(spec: LocatedT, changes: Mapping[str, Any]) -> LocatedT:
    """A copy of ``spec`` with each dotted field of ``changes`` set to its value, validated
    again as a whole (a change may make another field wrong: that field is named). The copy
    keeps ``spec``'s origin; ``spec`` itself is unchanged. Raises ``ConfigError``."""
    origin = origin_or_placeholder(spec, _KINDS.get(type(spec).__name__, type(spec).__name__))
    data = _dumped(spec)
    for dotted, value in changes.items():
        path = _field_path(dotted, origin)
        _check_exists(spec, path, origin)
        _assign(data, spec, path, _plain(value))
    return located(validate(data, type(spec), origin), spec.origin)


def _field_path(dotted: str, origin: Origin) -> FieldPath:
    """``"layers[2].kernel"`` -> ``("layers", 2, "kernel")``; ``ConfigError`` if malformed."""
    parts: list[str | int] = []
    for piece in dotted.split("."):
        match = _PIECE.fullmatch(piece)
        if match is None:
            raise ConfigError(
                origin.path,
                "not a field path: write fields with dots and list entries as [i], "
                "e.g. layers[2].kernel",
                field=repr(dotted),
            )
        parts.append(match.group(1))
        parts.extend(int(index) for index in _INDEX.findall(match.group(2)))
    return tuple(parts)


def _check_exists(spec: BaseModel, path: FieldPath, origin: Origin) -> None:
    """``ConfigError`` unless every step of ``path`` names a field (or entry) of ``spec``."""
    node: Any = spec
    for depth, part in enumerate(path):
        here = path[: depth + 1]
        if node is None:
            above = format_field_path(path[:depth])
            raise _refused(origin, here, f"{above} is not set: override {above} as a whole")
        if isinstance(part, int):
            if not isinstance(node, tuple):
                raise _refused(origin, here, "not a list")
            if part >= len(node):
                raise _refused(origin, here, f"no such entry (there are {len(node)})")
            node = node[part]
            continue
        if not isinstance(node, BaseModel) or part not in type(node).model_fields:
            known = ", ".join(type(node).model_fields) if isinstance(node, BaseModel) else ""
            raise _refused(origin, here, "unknown field" + (f" (known: {known})" if known else ""))
        node = getattr(node, part)


def _refused(origin: Origin, path: FieldPath, message: str) -> ConfigError:
    return ConfigError(
        origin.path, message, line=origin.line_of(path), field=format_field_path(path)
    )


def _assign(data: dict[str, Any], spec: BaseModel, path: FieldPath, value: Any) -> None:
    """Set ``path`` of ``data`` (the dump of ``spec``) to ``value``, first adding the dump of
    each sub-spec on the way that ``data`` leaves out because it was never written."""
    container: Any = data
    node: Any = spec
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else getattr(node, part)
        if isinstance(part, str) and part not in container:
            container[part] = _dumped(node)
        container = container[part]
    container[path[-1]] = value


def _dumped(node: Any) -> Any:
    """``node`` as the plain data that validates back to it: a spec by the fields that were
    given (defaults stay defaults, as in its file), a tuple as a list."""
    if isinstance(node, BaseModel):
        return node.model_dump(mode="json", exclude_unset=True)
    if isinstance(node, tuple):
        return [_dumped(item) for item in node]
    return _plain(node)


def _plain(value: Any) -> Any:
    """A value as YAML would give it (an enum as its string, a spec as a mapping); a value
    of no plain form is left for validation to refuse by its type."""
    if isinstance(value, BaseModel | tuple):
        return _dumped(value)
    try:
        return to_jsonable_python(value)
    except PydanticSerializationError:
        return value
