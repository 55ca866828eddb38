"""Output folders: fdsim never deletes or overwrites what it did not write; a failure or an
interrupt leaves nothing behind; the default folder's run id covers every option that changes
the result."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fdsim.api import dataset_identity, run_options
from fdsim.cli import main
from fdsim.nn.datasets import DatasetName, DatasetSource
from fdsim.output import MARKER_NAME
from fdsim.results import canonical_run_id
from fdsim.schedule.ops import TRAINING_STEP, Phase

REPO = Path(__file__).resolve().parent.parent
ADVICE = "choose another --out or add --force"


def _run(golden_files: tuple[Path, Path], *extra: str) -> int:
    hardware, workload = golden_files
    return main(["run", str(hardware), str(workload), "--quiet", *extra])


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line on stderr."""
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders)."""
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def _user_folder(folder: Path) -> dict[str, bytes | None]:
    (folder / "figures").mkdir(parents=True)
    (folder / "chapter1.tex").write_bytes(b"\\chapter{One}\n")
    (folder / "figures" / "plot.pdf").write_bytes(b"%PDF-1.4 not really\n")
    return _snapshot(folder)


def test_missing_folder_is_created_with_a_marker_of_every_file(golden_files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "new" / "deeper" / "out"
    assert _run(golden_files, "--out", str(out)) == 0
    marker = json.loads((out / MARKER_NAME).read_text())
    assert marker["kind"] == "run"
    written = {path.name for path in out.iterdir()} - {MARKER_NAME}
    assert set(marker["files"]) == written
    for name, digest in marker["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    # No staging folder is left beside it.
    assert [path.name for path in out.parent.iterdir()] == ["out"]


def test_own_output_is_replaced_whole(golden_files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _run(golden_files, "--out", str(out)) == 0
    first = _snapshot(out)
    assert _run(golden_files, "--out", str(out), "--phases", "fwd") == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["manifest"]["options"] == {"phases": ["fwd"], "functional": False}
    assert _run(golden_files, "--out", str(out)) == 0
    assert _snapshot(out) == first  # deterministic, and nothing of the fwd run lingers
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["out", "energy", "golden_hw.yaml", "golden_wl.yaml"]
    )


def test_foreign_folder_is_refused_untouched(golden_files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    thesis = tmp_path / "mythesis"
    before = _user_folder(thesis)
    assert _run(golden_files, "--out", str(thesis)) == 2
    assert _error(capsys) == f"{thesis}: exists and was not written by fdsim; {ADVICE}"
    assert _snapshot(thesis) == before


def test_current_folder_is_refused_untouched(golden_files, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    before = _user_folder(home)
    monkeypatch.chdir(home)
    assert _run(golden_files, "--out", ".") == 2
    assert _error(capsys) == f".: exists and was not written by fdsim; {ADVICE}"
    assert _snapshot(home) == before


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_an_existing_file_is_refused_even_with_force(golden_files, tmp_path, capsys, force) -> None:  # type: ignore[no-untyped-def]
    readme = tmp_path / "README.md"
    readme.write_bytes(b"# my project\n")
    assert _run(golden_files, "--out", str(readme), *force) == 2
    assert _error(capsys) == f"{readme}: exists and is not a folder; choose another --out"
    assert readme.read_bytes() == b"# my project\n"


def test_force_adds_beside_and_never_claims_user_files(golden_files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    thesis = tmp_path / "mythesis"
    before = _user_folder(thesis)
    assert _run(golden_files, "--out", str(thesis), "--force") == 0
    after = _snapshot(thesis)
    assert {name: after[name] for name in before} == before
    marker = json.loads((thesis / MARKER_NAME).read_text())
    assert set(marker["files"]) == set(after) - set(before) - {MARKER_NAME}
    capsys.readouterr()
    # The folder is still not fdsim's alone: a run without --force is refused.
    assert _run(golden_files, "--out", str(thesis)) == 2
    assert _error(capsys) == (
        f"{thesis}: holds files fdsim did not write (chapter1.tex, figures); {ADVICE}"
    )
    # With --force again, fdsim replaces its own files and still keeps the user's.
    assert _run(golden_files, "--out", str(thesis), "--force") == 0
    assert _snapshot(thesis) == after


def test_force_never_overwrites_a_user_file_with_an_output_name(
    golden_files, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "summary.json").write_bytes(b'{"mine": true}\n')
    before = _snapshot(folder)
    assert _run(golden_files, "--out", str(folder), "--force") == 2
    assert _error(capsys) == (
        f"{folder / 'summary.json'}: exists and was not written by fdsim; choose another --out"
    )
    assert _snapshot(folder) == before


def test_an_edited_output_file_is_no_longer_fdsims(golden_files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _run(golden_files, "--out", str(out)) == 0
    (out / "report.md").write_text("my notes on the run\n")
    before = _snapshot(out)
    assert _run(golden_files, "--out", str(out)) == 2
    assert _error(capsys) == f"{out}: holds files fdsim did not write (report.md); {ADVICE}"
    assert _snapshot(out) == before


def test_output_of_the_other_kind_is_refused(golden_files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _run(golden_files, "--out", str(out)) == 0
    before = _snapshot(out)
    # Refused before any training starts.
    assert main(["train", "--epochs", "1", "--out", str(out)]) == 2
    assert _error(capsys) == f"{out}: holds an fdsim run output; {ADVICE}"
    assert _snapshot(out) == before


def test_train_default_folder_names_its_options(
    golden_files, tmp_path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    specs = [str(REPO / "hwconfigs/fdtrain_28nm.yaml"), str(REPO / "workloads/digits_cnn.yaml")]
    assert main(["train", *specs, "--epochs", "1", "--no-reference", "--quiet"]) == 0
    (folder,) = (tmp_path / "fdsim-out").iterdir()
    manifest = json.loads((folder / "summary.json").read_text())["manifest"]
    options = {
        "phases": ["fwd", "bwd_data", "bwd_weight", "update"],
        "dataset": {"name": "digits"},
        "epochs": 1,
        "seed": 0,
        "reference": False,
    }
    assert manifest["options"] == options
    run_id = canonical_run_id(manifest["spec_sha256"], options)
    assert folder.name == f"train-digits_cnn-fdtrain_28nm-digits-e1-{run_id}"
    capsys.readouterr()
    before = _snapshot(folder)
    assert _run(golden_files, "--out", str(folder)) == 2
    assert _error(capsys) == f"{folder}: holds an fdsim train output; {ADVICE}"
    assert _snapshot(folder) == before


def test_an_empty_folder_is_written_into(golden_files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    out.mkdir()
    assert _run(golden_files, "--out", str(out)) == 0
    assert (out / "summary.json").is_file()
    assert not [path for path in out.iterdir() if "staging" in path.name]


def test_a_path_the_os_refuses_is_one_line(golden_files, capsys) -> None:  # type: ignore[no-untyped-def]
    assert _run(golden_files, "--out", "/proc/fdsim-out") == 2
    assert _error(capsys) == f"/proc/fdsim-out: cannot write: {os.strerror(errno.ENOENT)}"


def _full_disk(self: Path, *args: object, **kwargs: object) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))


def test_a_full_disk_keeps_the_previous_output(golden_files, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _run(golden_files, "--out", str(out), "--phases", "fwd") == 0
    before = _snapshot(tmp_path)
    monkeypatch.setattr(Path, "write_text", _full_disk)
    assert _run(golden_files, "--out", str(out)) == 2
    assert _error(capsys) == f"{out}: cannot write: No space left on device"
    assert _snapshot(tmp_path) == before  # the fwd run intact, no staging folder


def test_a_full_disk_creates_nothing(golden_files, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "a" / "b" / "out"
    monkeypatch.setattr(Path, "write_text", _full_disk)
    assert _run(golden_files, "--out", str(out)) == 2
    assert _error(capsys) == f"{out}: cannot write: No space left on device"
    assert not (tmp_path / "a").exists()  # the parents it made are gone too


def test_ctrl_c_while_writing_is_one_line(golden_files, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def interrupt(self: Path, *args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    out = tmp_path / "out"
    monkeypatch.setattr(Path, "write_text", interrupt)
    assert _run(golden_files, "--out", str(out)) == 130
    assert _error(capsys) == f"interrupted; nothing written to {out}"
    assert not out.exists()
    assert not [path for path in tmp_path.iterdir() if "staging" in path.name]
    # main() leaves the signal handlers as it found them (only the process's exit, in
    # cli.entry, ignores further signals): a caller, and its children, keep Ctrl-C
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def _numpy_loaded(pid: int) -> bool:
    """True once the process has imported numpy: fdsim's CLI does so only inside ``main``,
    when its interrupt handling is in place."""
    return "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_real_signal_during_a_long_run(tmp_path, signum, code) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    args = [sys.executable, "-m", "fdsim.cli", "run", str(REPO / "hwconfigs/fdtrain_28nm.yaml")]
    args += [str(REPO / "workloads/vgg16_224.yaml"), "--out", str(out)]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline_s = time.monotonic() + 30
    while not _numpy_loaded(child.pid) and time.monotonic() < deadline_s:
        time.sleep(0.05)
    time.sleep(0.5)  # well into loading and compiling (the whole run takes tens of seconds)
    child.send_signal(signum)
    stdout, stderr = child.communicate(timeout=60)
    assert (child.returncode, stderr, stdout) == (
        code,
        f"interrupted; nothing written to {out}\n",
        "",
    )
    assert list(tmp_path.iterdir()) == []


def test_default_folder_names_phases_and_an_id_of_the_options(
    golden_files, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert _run(golden_files, "--phases", "fwd") == 0
    assert _run(golden_files) == 0
    manifests = {
        folder.name: json.loads((folder / "summary.json").read_text())["manifest"]
        for folder in (tmp_path / "fdsim-out").iterdir()
    }
    hashes = next(iter(manifests.values()))["spec_sha256"]
    step = run_options(TRAINING_STEP, functional=False, seed=0, dataset=None)
    fwd = run_options({Phase.FORWARD}, functional=False, seed=0, dataset=None)
    assert step == {"phases": ["fwd", "bwd_data", "bwd_weight", "update"], "functional": False}
    assert {name: manifest["options"] for name, manifest in manifests.items()} == {
        f"golden_wl-golden_hw-fwd-{canonical_run_id(hashes, fwd)}": fwd,
        f"golden_wl-golden_hw-{canonical_run_id(hashes, step)}": step,
    }


def test_equal_options_equal_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hashes = {"hardware": "a" * 64, "workload": "b" * 64, "energy_table": "c" * 64}

    def run_id(**options: object) -> str:
        settings = {"phases": TRAINING_STEP, "functional": False, "seed": 0, "dataset": None}
        return canonical_run_id(hashes, run_options(**{**settings, **options}))  # type: ignore[arg-type]

    # Phases are a set; seed and dataset change only a functional run.
    assert run_id(phases=list(reversed(Phase))) == run_id()
    assert run_id(seed=7) == run_id()
    assert run_id(functional=True) != run_id()
    assert run_id(functional=True, seed=7) != run_id(functional=True)
    digits = DatasetSource()
    assert run_id(functional=True, dataset=digits) != run_id(functional=True)
    # IDX files count by their bytes, wherever they are.
    files = {}
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        for kind, data in (("images", b"\x00\x00\x08\x03 pixels"), ("labels", b"\x00\x00\x08\x01")):
            files[folder, kind] = tmp_path / folder / f"{kind}.idx"
            files[folder, kind].write_bytes(data)
    one, two = (
        DatasetSource(DatasetName.MNIST, files[f, "images"], files[f, "labels"])
        for f in ("one", "two")
    )
    assert dataset_identity(one) == dataset_identity(two)
    assert (
        dataset_identity(one)["images_sha256"]
        == hashlib.sha256(b"\x00\x00\x08\x03 pixels").hexdigest()
    )
    assert run_id(functional=True, dataset=one) == run_id(functional=True, dataset=two)
    files["two", "labels"].write_bytes(b"\x00\x00\x08\x01\x07")
    assert run_id(functional=True, dataset=one) != run_id(functional=True, dataset=two)


def test_ctrl_c_during_the_final_move_waits_for_it(
    golden_files, tmp_path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    real_rename = os.rename

    def interrupted_rename(source: str, destination: str) -> None:
        signal.raise_signal(signal.SIGINT)
        real_rename(source, destination)

    out = tmp_path / "out"
    monkeypatch.setattr(os, "rename", interrupted_rename)
    assert _run(golden_files, "--out", str(out)) == 130
    assert _error(capsys) == f"interrupted; {out} was written"
    marker = json.loads((out / MARKER_NAME).read_text())
    assert set(marker["files"]) == {path.name for path in out.iterdir()} - {MARKER_NAME}


def test_parents_made_before_a_failure_are_removed(
    golden_files, tmp_path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if self.name == "b":
            _full_disk(self)
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    out = tmp_path / "a" / "b" / "out"
    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert _run(golden_files, "--out", str(out)) == 2
    assert _error(capsys) == f"{out}: cannot write: No space left on device"
    assert not (tmp_path / "a").exists()


def test_own_output_that_is_the_current_folder_is_updated_in_place(
    golden_files, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    assert _run(golden_files, "--out", str(out), "--phases", "fwd") == 0
    inode = out.stat().st_ino
    monkeypatch.chdir(out)
    assert _run(golden_files, "--out", ".") == 0
    assert out.stat().st_ino == inode  # not swapped away from under the shell
    summary = json.loads((out / "summary.json").read_text())
    assert summary["manifest"]["options"]["phases"] == ["fwd", "bwd_data", "bwd_weight", "update"]
    assert not [path for path in tmp_path.iterdir() if ".fdsim-" in path.name]


def test_a_failed_swap_puts_the_previous_output_back(
    golden_files, tmp_path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    real_rename = os.rename

    def rename(source: str, destination: str) -> None:
        if ".fdsim-staging-" in str(source):  # the new output moving in
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_rename(source, destination)

    out = tmp_path / "out"
    assert _run(golden_files, "--out", str(out), "--phases", "fwd") == 0
    before = _snapshot(tmp_path)
    monkeypatch.setattr(os, "rename", rename)
    assert _run(golden_files, "--out", str(out)) == 2
    assert _error(capsys) == f"{out}: cannot write: {os.strerror(errno.EIO)}"
    assert _snapshot(tmp_path) == before
