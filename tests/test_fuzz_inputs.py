"""Malformed and hostile spec files: each class of issue 9 refused in one line with its exact
message (exit status 2, nothing on stdout, no traceback), then a seeded mutation fuzzer over the
shipped YAMLs asserting the same contract for whatever it produces."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest
from cli_errors import one_line_error as _refused

from fdsim.cli import main
from fdsim.spec.files import MAX_SPEC_FILE_BYTES
from fdsim.spec.load import SHIPPED_ENERGY_TABLES

REPO = Path(__file__).resolve().parent.parent
HARDWARE = REPO / "hwconfigs/fdtrain_28nm.yaml"
WORKLOAD = REPO / "workloads/lenet5.yaml"
SHIPPED = sorted(
    # the YAML specs (the SCALE-Sim inputs, CSV and INI, have their own tests)
    [
        *REPO.glob("hwconfigs/*.yaml"),
        *REPO.glob("hwconfigs/*/*.yaml"),
        *REPO.glob("workloads/*.yaml"),
    ]
)


def _laughs(levels: int) -> bytes:
    """The "billion laughs" bomb: each level an alias list of ten of the one before."""
    rows = ['l0: &l0 "lol"']
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return ("\n".join(rows) + "\n").encode()


_ONLY_TEXT = " (only tab, line feed and carriage return may appear in a spec file)"
CONTENT_CASES = {
    "billion laughs": (_laughs(9), "1: anchors (&name) are not allowed in spec files"),
    "alias": (
        b"name: x\nbatch_size: *n\n",
        "2: aliases (*name) are not allowed in spec files: write the value",
    ),
    "merge key with alias": (
        b"a: 1\nb:\n  <<: *base\n",
        "3: merge keys (<<) are not allowed in spec files",
    ),
    "merge key": (
        b"name: x\nbuffers:\n  <<: {size_bytes: 1}\n",
        "3: merge keys (<<) are not allowed in spec files",
    ),
    "deep flow nesting": (
        b"layers: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "1: nested deeper than 64 levels",
    ),
    # The mapping whose key is on line n is the n-th level; its key is the 64th+1 node at line 64.
    "deep block nesting": (
        "".join("  " * i + "k:\n" for i in range(200)).encode(),
        "64: nested deeper than 64 levels",
    ),
    "python tag": (
        b"name: !!python/object/apply:os.system ['true']\n",
        "1: tags (!!python/object/apply:os.system) are not allowed in spec files: "
        "write a plain value",
    ),
    "verbatim tag": (
        b"name: !<tag:yaml.org,2002:str> x\n",
        "1: tags (!!str) are not allowed in spec files: write a plain value",
    ),
    "omap tag": (
        b"layers: !!omap [{a: 1}]\n",
        "1: tags (!!omap) are not allowed in spec files: write a plain value",
    ),
    "binary tag": (
        b"name: x\ndescription: !!binary aGVsbG8=\n",
        "2: tags (!!binary) are not allowed in spec files: write a plain value",
    ),
    "custom tag": (
        b"name: !foo x\n",
        "1: tags (!foo) are not allowed in spec files: write a plain value",
    ),
    "directive": (
        b"%YAML 1.1\n---\nname: on\n",
        "1: YAML directives (%YAML, %TAG) are not allowed",
    ),
    "NUL byte": (
        b"name: x\nbatch_size: 1\x00\n",
        "2: control character U+0000" + _ONLY_TEXT,
    ),
    "BEL byte": (
        b"name: a\x07\n",
        "1: control character U+0007" + _ONLY_TEXT,
    ),
    "NEL line break": (
        "name: a\nb: c\u0085d\n".encode(),
        "2: control character U+0085" + _ONLY_TEXT,
    ),
    "escaped control character": (
        b'name: x\ndescription: "\\e[2J"\n',
        "2: description: control character U+001B in a string",
    ),
    "Latin-1 text": (
        "name: x\ndescription: caf\u00e9\n".encode("latin-1"),
        "2: not UTF-8 text (byte 0xe9)",
    ),
    # An ONNX model is protobuf (field tags, varints, raw bytes), seldom valid UTF-8.
    "ONNX model": (
        b"\x08\x07\x12\x07pytorch\x1a\x032.1:\xa4\x01\n",
        "1: not UTF-8 text (byte 0xa4)",
    ),
    "integer key": (b"name: x\n1: 2\n", "2: keys must be field names, got 1"),
    "null key": (b"name: x\n~: 2\n", "2: keys must be field names, got nothing (null)"),
    "list key": (b"name: x\n[a, b]: 2\n", "2: keys must be field names, got a list or mapping"),
    "two documents": (b"name: x\n---\nname: y\n", "2: malformed YAML: but found another document"),
    "top-level list": (
        b"- name: x\n",
        " expected a mapping of fields at the top level, got a list",
    ),
    "top-level scalar": (
        b"just text\n",
        " expected a mapping of fields at the top level, got a single value",
    ),
}


@pytest.mark.parametrize(("content", "message"), CONTENT_CASES.values(), ids=CONTENT_CASES.keys())
def test_hostile_content_is_refused_in_one_line(  # type: ignore[no-untyped-def]
    tmp_path, capsys, content, message
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(content)
    assert _refused(["validate", str(spec)], capsys) == f"{spec}:{message}"


def test_a_bomb_given_as_workload_writes_nothing(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_bytes(_laughs(12))
    out = tmp_path / "out"
    args = ["run", str(HARDWARE), str(bomb), "--out", str(out)]
    assert _refused(args, capsys) == f"{bomb}:1: anchors (&name) are not allowed in spec files"
    assert not out.exists()


def test_a_fifo_is_refused_without_opening_it(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    assert _refused(["validate", str(fifo)], capsys) == (
        f"{fifo}: is not a regular file (a FIFO, device or socket)"
    )


def test_a_device_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    assert _refused(["run", os.devnull, str(WORKLOAD)], capsys) == (
        f"{os.devnull}: is not a regular file (a FIFO, device or socket)"
    )


def test_a_directory_is_refused(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert _refused(["validate", str(tmp_path)], capsys) == (
        f"{tmp_path}: is a directory, expected a YAML file"
    )


def test_an_unreadable_file_is_refused(tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Mode 000 does not stop root (the test may run as root), so ``os.open`` is made to fail
    as it does for other users."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\n")

    def denied(path: object, flags: int, mode: int = 0o777) -> int:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", denied)
    assert _refused(["validate", str(spec)], capsys) == f"{spec}: cannot read: Permission denied"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """200 000 layers (~8 MB) would take minutes to parse; the limit is 256 KiB."""
    spec = tmp_path / "huge.yaml"
    layer = "  - {name: fc, kind: fc, out_features: 2}\n"
    spec.write_text("name: huge\nlayers:\n" + layer * 200_000)
    assert _refused(["validate", str(spec)], capsys) == (
        f"{spec}: larger than the 256 KiB limit for spec files"
    )
    just_fits = tmp_path / "fits.yaml"
    just_fits.write_text("name: x\n#" + "-" * (MAX_SPEC_FILE_BYTES - 10) + "\n")
    assert just_fits.stat().st_size == MAX_SPEC_FILE_BYTES
    assert _refused(["validate", str(just_fits)], capsys).startswith(
        f"{just_fits}:1: cannot tell the kind of spec"
    )


# --- the seeded fuzzer ------------------------------------------------------------------------

SEED = 9
VALIDATE_CASES = 240
RUN_CASES = 16
HARDWARE_RUN_CASES = 6
BUDGET_S = 10.0

_VALUES = (
    "0",
    "-1",
    "1099511627776",
    "1e308",
    ".inf",
    "-.inf",
    ".nan",
    "'text'",
    "[1, 2]",
    "{a: 1}",
    "~",
    "true",
    "''",
    "0x10",
    "1_000",
    "2001-01-01",
    "-0.0",
    "99999999999999999999999",
)
_TAGS = ("!!binary ", "!!python/object:os.system ", "!foo ", "!<tag:x> ", "!!omap ", "!!set ")
_CONTROL = ("\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\x0b")


@dataclass(frozen=True)
class Mutant:
    source: Path
    how: str
    content: bytes


def _mutate(text: str, rng: random.Random) -> tuple[str, bytes]:
    """One random mutation of ``text``: what was done, and the bytes."""
    lines = text.splitlines(keepends=True)
    choice = rng.randrange(10)
    fields = [i for i, entry in enumerate(lines) if ":" in entry and entry.lstrip()[:1] != "#"]
    row = rng.choice(fields) if choice >= 6 else rng.randrange(len(lines))
    line = lines[row]
    if choice == 0:
        data = bytearray(text.encode())
        at = rng.randrange(len(data))
        data[at] = rng.randrange(256)
        return f"byte {at} -> {data[at]:#04x}", bytes(data)
    if choice == 1:
        at = rng.randrange(len(text))
        char = rng.choice(_CONTROL)
        return f"control {char!r} at {at}", (text[:at] + char + text[at:]).encode()
    if choice == 2:
        return f"delete line {row + 1}", "".join(lines[:row] + lines[row + 1 :]).encode()
    if choice == 3:
        return f"duplicate line {row + 1}", "".join(lines[: row + 1] + lines[row:]).encode()
    if choice == 4:
        cut = rng.randrange(len(text))
        return f"truncate at {cut}", text[:cut].encode()
    if choice == 5:
        shift = rng.choice(("", " ", "   ", "\t"))
        new = shift + line.lstrip(" ")
        return f"indent line {row + 1} as {shift!r}", "".join(
            [*lines[:row], new, *lines[row + 1 :]]
        ).encode()
    key, _, rest = line.partition(":")
    value = rest.strip().split(" #")[0]
    if choice == 6:
        new_value = rng.choice(_VALUES)
    elif choice == 7:
        new_value = rng.choice(_TAGS) + (value or "x")
    elif choice == 8:
        new_value = rng.choice((f"&a {value or 'x'}", "*a", f"&a {value or 'x'}\nextra: *a"))
    else:
        depth = rng.randrange(1, 200)
        new_value = "[" * depth + (value or "1") + "]" * depth
    new = f"{key}: {new_value}\n"
    return f"line {row + 1} value -> {new_value[:40]!r}", "".join(
        [*lines[:row], new, *lines[row + 1 :]]
    ).encode()


def _mutants(sources: list[Path], count: int, rng: random.Random) -> Iterator[Mutant]:
    for _ in range(count):
        source = rng.choice(sources)
        how, content = _mutate(source.read_text(), rng)
        yield Mutant(source, how, content)


_RNG = random.Random(SEED)
VALIDATE_MUTANTS = list(_mutants(SHIPPED, VALIDATE_CASES, _RNG))
RUN_MUTANTS = list(_mutants([WORKLOAD], RUN_CASES, _RNG))
HARDWARE_RUN_MUTANTS = list(_mutants([HARDWARE], HARDWARE_RUN_CASES, _RNG))


def _ids(mutants: list[Mutant]) -> list[str]:
    return [f"{i}-{m.source.name}-{m.how}" for i, m in enumerate(mutants)]


class _OverBudget(Exception):
    pass


def _over_budget(signum: int, frame: FrameType | None) -> None:
    raise _OverBudget(f"a case took longer than {BUDGET_S} s")


def _within_budget(args: list[str]) -> int:
    previous = signal.signal(signal.SIGALRM, _over_budget)
    signal.setitimer(signal.ITIMER_REAL, BUDGET_S)
    try:
        return main(args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check(code: int, spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 0, or 2 with one line naming a file involved: the mutant, the shipped hardware or
    workload it runs with, or a shipped energy table."""
    captured = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        files = (str(spec), str(HARDWARE), str(WORKLOAD), str(SHIPPED_ENERGY_TABLES))
        assert lines[0].startswith(files), lines[0]


@pytest.mark.parametrize("mutant", VALIDATE_MUTANTS, ids=_ids(VALIDATE_MUTANTS))
def test_fuzzed_specs_validate_or_are_refused_in_one_line(tmp_path, capsys, mutant) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / mutant.source.name
    spec.write_bytes(mutant.content)
    _check(_within_budget(["validate", str(spec)]), spec, capsys)


@pytest.mark.parametrize("mutant", RUN_MUTANTS, ids=_ids(RUN_MUTANTS))
def test_fuzzed_workloads_run_or_are_refused_writing_nothing(tmp_path, capsys, mutant) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / mutant.source.name
    spec.write_bytes(mutant.content)
    out = tmp_path / "out"
    args = ["run", str(HARDWARE), str(spec), "--out", str(out), "--quiet", "--phases", "fwd"]
    code = _within_budget(args)
    _check(code, spec, capsys)
    assert out.exists() == (code == 0)


@pytest.mark.parametrize("mutant", HARDWARE_RUN_MUTANTS, ids=_ids(HARDWARE_RUN_MUTANTS))
def test_fuzzed_hardware_runs_or_is_refused_writing_nothing(tmp_path, capsys, mutant) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / mutant.source.name
    spec.write_bytes(mutant.content)
    out = tmp_path / "out"
    args = ["run", str(spec), str(WORKLOAD), "--out", str(out), "--quiet", "--phases", "fwd"]
    code = _within_budget(args)
    _check(code, spec, capsys)
    assert out.exists() == (code == 0)
