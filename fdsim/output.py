"""Output folders: where fdsim may write, and writing there without losing anything else.

Product rule: nothing fdsim writes deletes or overwrites what fdsim did not write. Each output
folder carries a marker, ``.fdsim-output`` (JSON: the output's kind, the fdsim version and the
SHA-256 of every file written), by which a later run recognises its own files:

- a missing folder is created (with its parents) by renaming a finished staging folder into
  place;
- a folder that holds an fdsim output of the same kind and nothing else — only the files its
  marker lists, unchanged — is replaced whole, by the same rename;
- an empty folder is written into;
- any other folder is refused, unless ``force``: then fdsim's files are added beside what is
  there, and a name already taken by something fdsim did not write is refused even so;
- an existing file (anything but a folder) is refused, ``force`` or not.

A refusal or an ``OSError`` is a ``ConfigError`` naming the folder; a failure or an interrupt
before the output is in place removes the staging folder and leaves the target as it was.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from enum import Enum, StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any

from fdsim import __version__
from fdsim.errors import ConfigError
from fdsim.interrupts import signals_deferred

MARKER_NAME = ".fdsim-output"
STAGING_PREFIX = ".fdsim-staging-"
LISTED_NAMES = 3  # foreign names a refusal shows


class OutputKind(StrEnum):
    RUN = "run"  # fdsim run
    TRAIN = "train"  # fdsim train
    POOLING = "pooling"  # fdsim pooling
    MODES = "modes"  # fdsim modes


class Layout(Enum):
    """How a finished output gets into place."""

    CREATE = "create"  # the folder is missing: rename the staging folder to it
    REPLACE = "replace"  # fdsim's own output of the same kind: swap the folders
    ADD = "add"  # an empty or (forced) foreign folder: move the files in, one by one


@dataclass(frozen=True)
class OutputPlan:
    """What writing to ``target`` (the resolved folder) will do; ``owned`` names the entries
    there that fdsim wrote (its marker and the unchanged files the marker lists)."""

    target: Path
    layout: Layout
    owned: frozenset[str]


def plan_output(
    directory: Path, kind: OutputKind, *, force: bool, ignore: frozenset[str] = frozenset()
) -> OutputPlan:
    """Decide how an output of ``kind`` goes into ``directory`` (entries named in ``ignore``
    are not looked at); ``ConfigError`` naming ``directory`` when the rules above refuse."""
    target = Path(os.path.realpath(directory))
    if not os.path.lexists(target):
        return OutputPlan(target, Layout.CREATE, frozenset())
    if not target.is_dir():
        raise ConfigError(str(directory), "exists and is not a folder; choose another --out")
    entries = {entry.name for entry in target.iterdir()} - ignore
    marker = _read_marker(target)
    owned = frozenset() if marker is None else _owned(target, marker)
    if not entries:
        return OutputPlan(target, Layout.ADD, owned)
    if marker is not None and marker["kind"] == kind.value and entries <= owned:
        # Renaming a folder that holds the current one would strand the user's shell.
        holds_cwd = Path.cwd().is_relative_to(target)
        return OutputPlan(target, Layout.ADD if holds_cwd else Layout.REPLACE, owned)
    if force:
        return OutputPlan(target, Layout.ADD, owned)
    advice = "choose another --out or add --force"
    if marker is None:
        raise ConfigError(str(directory), f"exists and was not written by fdsim; {advice}")
    if marker["kind"] != kind.value:
        raise ConfigError(str(directory), f"holds an fdsim {marker['kind']} output; {advice}")
    foreign = sorted(entries - owned)
    listing = ", ".join(foreign[:LISTED_NAMES]) + (", …" if len(foreign) > LISTED_NAMES else "")
    raise ConfigError(str(directory), f"holds files fdsim did not write ({listing}); {advice}")


def write_output(
    directory: Path,
    kind: OutputKind,
    writer: Callable[[Path], None],
    *,
    force: bool = False,
    on_committed: Callable[[], None] | None = None,
) -> None:
    """Run ``writer`` (it writes plain files into the folder it is given) into a staging
    folder, add the marker, and put the output into ``directory`` by :func:`plan_output`'s
    rules, checked again once the files are ready. ``on_committed`` runs as soon as the
    output is in place: an interrupt (SIGINT, SIGTERM) arriving while it is being moved in is
    acted on only after that."""
    staging: Path | None = None
    created: list[Path] = []
    committed = False
    try:
        plan = plan_output(directory, kind, force=force)
        if plan.layout is Layout.ADD:
            staging = _make_staging(plan.target, STAGING_PREFIX)
        else:
            _make_parents(plan.target.parent, created)
            staging = _make_staging(plan.target.parent, f".{plan.target.name}{STAGING_PREFIX}")
        writer(staging)
        _write_marker(staging, kind)
        plan = plan_output(directory, kind, force=force, ignore=frozenset({staging.name}))
        with signals_deferred():
            _commit(directory, plan, staging)
            committed = True
            if on_committed is not None:
                on_committed()
    except OSError as problem:
        raise ConfigError(str(directory), f"cannot write: {problem.strerror or problem}") from None
    finally:
        if not committed:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            for folder in reversed(created):
                with suppress(OSError):
                    folder.rmdir()


def _commit(directory: Path, plan: OutputPlan, staging: Path) -> None:
    """Move the finished ``staging`` folder's contents into ``plan.target``."""
    if plan.layout is Layout.CREATE:
        os.rename(staging, plan.target)
    elif plan.layout is Layout.REPLACE:
        retired = _make_staging(plan.target.parent, f".{plan.target.name}.fdsim-old-")
        try:
            os.rename(plan.target, retired / "old")
            try:
                os.rename(staging, plan.target)
            except BaseException:
                os.rename(retired / "old", plan.target)
                raise
        finally:
            # The old output (fdsim's own) once replaced; else an empty folder. A failure to
            # remove it leaves a hidden folder, not a failed run.
            shutil.rmtree(retired, ignore_errors=True)
    else:
        names = sorted(entry.name for entry in staging.iterdir())
        for name in names:
            if os.path.lexists(plan.target / name) and name not in plan.owned:
                raise ConfigError(
                    str(directory / name),
                    "exists and was not written by fdsim; choose another --out",
                )
        # The marker last: until it is in place, the folder claims none of the new files.
        for name in sorted(names, key=lambda name: name == MARKER_NAME):
            os.replace(staging / name, plan.target / name)
        staging.rmdir()


def output_kind(folder: Path) -> OutputKind | None:
    """The kind of fdsim output ``folder`` holds by its marker, or None when it has none."""
    marker = _read_marker(folder)
    return None if marker is None else OutputKind(marker["kind"])


def _read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker in ``folder``, or None when there is none or it is not fdsim's."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    valid = (
        isinstance(marker, dict)
        and marker.get("kind") in {kind.value for kind in OutputKind}
        and isinstance(marker.get("files"), dict)
    )
    return marker if valid else None


def _owned(folder: Path, marker: dict[str, Any]) -> frozenset[str]:
    """The marker and the files it lists that are still as fdsim wrote them."""
    owned = {MARKER_NAME}
    for name, digest in marker["files"].items():
        path = folder / str(name)
        if (
            Path(str(name)).name == name
            and not path.is_symlink()
            and path.is_file()
            and _sha256(path) == digest
        ):
            owned.add(path.name)
    return frozenset(owned)


def _write_marker(staging: Path, kind: OutputKind) -> None:
    files = {entry.name: _sha256(entry) for entry in sorted(staging.iterdir())}
    marker = {"kind": kind.value, "fdsim_version": __version__, "files": files}
    (staging / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    return sha256(path.read_bytes()).hexdigest()


def _make_parents(folder: Path, created: list[Path]) -> None:
    """Create ``folder`` and its missing ancestors, appending each to ``created`` as soon as
    it exists (outermost first), so a failure halfway can still remove them."""
    for parent in (*reversed(folder.parents), folder):
        if not os.path.lexists(parent):
            parent.mkdir()
            created.append(parent)


def _make_staging(parent: Path, prefix: str) -> Path:
    """A new, empty folder in ``parent`` with the mode the user's umask gives (unlike
    ``tempfile.mkdtemp``'s 0700, which would hide the output from the user's group)."""
    while True:
        folder = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder


def write_json(path: Path, value: Any) -> None:
    """``value`` as the JSON files fdsim writes: sorted keys, indented, one final newline (so
    equal results give byte-identical files)."""
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")
