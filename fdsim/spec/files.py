"""A spec file's bytes and text: refused in one line unless it is a small, readable, regular
file of UTF-8 text without control characters or ``%`` directive lines (``fdsim.spec.load``
parses what passes)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from fdsim.errors import ConfigError

MAX_SPEC_FILE_BYTES = 256 * 1024
"""Largest spec file read: the biggest shipped spec is under 10 KiB, and ruamel.yaml reads
about 100 KiB a second, so this bounds the time a file can take to a few seconds."""

NOT_TEXT = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters a spec may not contain: control characters (C0 but tab/LF/CR, DEL, C1 — NEL is a
YAML line break that would shift every line number), surrogates and non-characters."""

_DIRECTIVE = re.compile(r"^%", re.MULTILINE)


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular, readable file of at most ``MAX_SPEC_FILE_BYTES``."""
    where = str(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(where, "is a directory, expected a YAML file")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(where, "is not a regular file (a FIFO, device or socket)")
        # Non-blocking, and checked again on the open file: it may have been replaced by a FIFO.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ConfigError(where, "file not found") from None
    except OSError as error:
        raise ConfigError(where, f"cannot read: {error.strerror}") from None
    except ValueError as error:  # a path with a NUL character (possible through the API)
        raise ConfigError(where, f"cannot read: {error}") from None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ConfigError(where, "is not a regular file (a FIFO, device or socket)")
        try:
            data = file.read(MAX_SPEC_FILE_BYTES + 1)
        except OSError as error:
            raise ConfigError(where, f"cannot read: {error.strerror}") from None
    if len(data) > MAX_SPEC_FILE_BYTES:
        raise ConfigError(
            where, f"larger than the {MAX_SPEC_FILE_BYTES // 1024} KiB limit for spec files"
        )
    return data


def spec_text(path: Path, data: bytes) -> str:
    """``data`` as text: UTF-8 without control characters or YAML directives (``%YAML 1.1``
    would change how ruamel reads every value), else the line of the first offence."""
    where = str(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            where, f"not UTF-8 text (byte 0x{data[error.start]:02x})", line=line
        ) from None
    bad = NOT_TEXT.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise ConfigError(
            where,
            f"control character U+{ord(bad.group()):04X} (only tab, line feed and carriage "
            "return may appear in a spec file)",
            line=line,
        )
    directive = _DIRECTIVE.search(text)
    if directive is not None:
        line = text.count("\n", 0, directive.start()) + 1
        raise ConfigError(where, "YAML directives (%YAML, %TAG) are not allowed", line=line)
    return text
