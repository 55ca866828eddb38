"""Where a spec came from, kept on the spec itself so that an error found later (by the
compiler, by an override) still names ``file:line: field``.

A top-level spec (hardware, workload, energy table) derives from :class:`Located`: the loader
(:mod:`fdsim.spec.load`) attaches the :class:`Origin` of the file it read, and
:func:`fdsim.spec.override.override` passes it on to the spec it derives. A spec built in
Python has none; its errors name ``<hardware>``, ``<workload>`` or ``<energy table>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, PrivateAttr

from fdsim.errors import ConfigError, FieldPath, SpecFieldError, format_field_path


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


class Located(BaseModel):
    """A top-level spec that may know the file it was read from (not a field: it is not
    validated, dumped, compared or hashed, so equal contents from two files are equal)."""

    _origin: Origin | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Equal fields, wherever each was read from (pydantic would compare origins too)."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    @property
    def origin(self) -> Origin | None:
        """The file and field lines this spec was read from; None for a spec built in Python."""
        return self._origin


LocatedT = TypeVar("LocatedT", bound=Located)


def located(spec: LocatedT, origin: Origin | None) -> LocatedT:
    """``spec`` with ``origin`` attached. Only for a spec just validated, which nothing else
    holds yet (the origin is set once, never changed after the spec is handed out)."""
    spec._origin = origin
    return spec


def origin_or_placeholder(spec: Located, kind: str) -> Origin:
    """The origin of ``spec``, or ``<kind>`` without lines for a spec built in Python."""
    return spec.origin if spec.origin is not None else Origin(f"<{kind}>", {})
