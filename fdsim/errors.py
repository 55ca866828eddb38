"""The exception family. A user error is a ``ConfigError``: it renders as one line naming the
file, line and field, and the CLI turns it into exit status 2."""

from __future__ import annotations

from dataclasses import dataclass

FieldPath = tuple[str | int, ...]


def format_field_path(path: FieldPath) -> str:
    """``("layers", 2, "kernel")`` -> ``layers[2].kernel``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class FdsimError(Exception):
    """Base class of every error fdsim raises on purpose."""


# Not frozen: Python sets ``__traceback__`` on an exception as it passes through a
# ``contextmanager`` (``api.bit_true_limits``), which a frozen dataclass refuses.
@dataclass(eq=False)
class SpecFieldError(FdsimError):
    """A problem with one field of an already-parsed spec, found after parsing (for example by
    the compiler: a buffer too small for a layer). ``spec`` is the spec kind ("hardware",
    "workload", "energy"); the pipeline maps ``path`` back to a file and line."""

    spec: str
    path: FieldPath
    message: str

    def __str__(self) -> str:
        return f"<{self.spec}>: {format_field_path(self.path)}: {self.message}"


class LayerSupportError(FdsimError):
    """A layer the bit-true model cannot compute, though the timing model accepts it: the
    pipeline names the workload's ``layers[i].<field>`` of the layer called ``layer``."""

    def __init__(self, layer: str, field: str, message: str) -> None:
        self.layer = layer
        self.field = field
        self.message = message
        super().__init__(f"{layer}: {field}: {message}")


class ConfigError(FdsimError):
    """A user error with its location: ``file:line: field: message`` (line and field optional)."""

    def __init__(
        self, file: str, message: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
