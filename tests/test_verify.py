"""The reproduction check (`make manifest`, `make verify`): manifest, comparison, clean copy,
offline rebuild. Unit tests use small trees (and a stand-in `compendium.build` that writes a few
results in a second); the end-to-end tests use real builds."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

from compendium import verify
from compendium.verify import (
    COVERED,
    LOCAL_NOTE,
    MANIFEST,
    VerifyError,
    compare,
    main,
    manifest_lines,
    parse_manifest,
    report,
    source_files,
)

# --- small trees --------------------------------------------------------------------------


def make_tree(root: Path) -> Path:
    """A compendium-shaped folder: one file in each covered folder, plus what is not covered."""
    (root / "workflow").mkdir(parents=True)
    (root / "workflow" / "Snakefile").write_text("# stand-in\n")
    for sub in COVERED:
        (root / sub).mkdir(parents=True)
        (root / sub / "a.csv").write_text(f"{sub}\n1,2\n")
    (root / "results/figures/B.svg").write_text("<svg/>\n")  # C order: B before a
    (root / "results/stats/study1").mkdir()
    (root / "results/stats/study1/model.json").write_text("{}\n")
    (root / "results/render/tables/.snakemake_timestamp").write_text("")  # hidden: skipped
    (root / "results/manuscripts/.thesis.pdf.x.part").write_text("half")  # hidden: skipped
    (root / "results/clean").mkdir()
    (root / "results/clean/study1_articles.csv").write_text("not covered\n")
    (root / "logs").mkdir()
    (root / "logs/x.log").write_text("not covered\n")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "repo")


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    capsys.readouterr()  # only this command's output
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_manifest_is_sha256sum_format_sorted_and_covers_only_results(tree: Path) -> None:
    lines = manifest_lines(tree)
    paths = [line.split("  ", 1)[1] for line in lines]
    assert paths == sorted(paths, key=lambda p: p.encode())
    assert "results/figures/B.svg" in paths
    assert paths.index("results/figures/B.svg") < paths.index("results/figures/a.csv")
    assert len(paths) == len(COVERED) + 2
    assert not [p for p in paths if "/." in p or p.startswith(("results/clean", "logs"))]
    for line in lines:
        digest, path = line.split("  ", 1)
        assert digest == hashlib.sha256((tree / path).read_bytes()).hexdigest()


def test_manifest_command_writes_a_file_sha256sum_accepts(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main(capsys, "manifest", "--root", str(tree))
    assert code == 0 and out == [f"wrote {tree / MANIFEST}: {len(COVERED) + 2} files"]
    text = (tree / MANIFEST).read_text()
    assert text.endswith("\n") and text.splitlines() == manifest_lines(tree)
    if shutil.which("sha256sum"):
        done = subprocess.run(
            ["sha256sum", "--check", "--quiet", MANIFEST],
            cwd=tree,
            env={**os.environ, "LC_ALL": "C"},
        )
        assert done.returncode == 0
    assert not list(tree.glob(f".{MANIFEST}*")), "temporary file left behind"


def test_manifest_refuses_missing_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "workflow").mkdir()
    (tmp_path / "workflow/Snakefile").write_text("")
    code, _, err = run_main(capsys, "manifest", "--root", str(tmp_path))
    assert code == 3
    assert "run `make` first" in err and "results/manuscripts" in err
    assert not (tmp_path / MANIFEST).exists()


def test_notebooks_are_optional_but_other_folders_are_not(tree: Path) -> None:
    shutil.rmtree(tree / "results/notebooks")
    assert manifest_lines(tree)
    shutil.rmtree(tree / "results/verify")
    with pytest.raises(VerifyError, match="results/verify"):
        manifest_lines(tree)


def test_compare_untouched_tree_is_all_same(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["manifest", "--root", str(tree)])
    code, out, _ = run_main(capsys, "compare", "--root", str(tree))
    assert code == 0
    assert all(line.startswith("same  results/") for line in out[:-2])
    assert (
        out[-2] == f"{len(COVERED) + 2} files: {len(COVERED) + 2} same, 0 differ, "
        "0 missing, 0 unexpected"
    )
    assert out[-1].startswith("reproduced: all")


def test_one_changed_byte_is_named(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["manifest", "--root", str(tree)])
    target = tree / "results/stats/study1/model.json"
    data = bytearray(target.read_bytes())
    data[0] ^= 1
    target.write_bytes(bytes(data))
    code, out, _ = run_main(capsys, "compare", "--root", str(tree))
    assert code == 1
    assert "DIFFERS  results/stats/study1/model.json" in out
    assert sum(line.startswith("DIFFERS") for line in out) == 1
    assert out[-1] == "NOT reproduced (1 of 10 files): results/stats/study1/model.json"


def test_removed_file_is_missing_and_extra_file_unexpected(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["manifest", "--root", str(tree)])
    (tree / "results/tallies/a.csv").unlink()
    (tree / "results/verify/new.csv").write_text("x\n")
    (tree / "results/clean/new.csv").write_text("not covered\n")
    code, out, _ = run_main(capsys, "compare", "--root", str(tree))
    assert code == 1
    assert "missing  results/tallies/a.csv" in out
    assert "unexpected  results/verify/new.csv" in out
    assert not [line for line in out if "results/clean" in line]
    assert out[-2].endswith("0 differ, 1 missing, 1 unexpected")
    assert out[-1].endswith(": results/tallies/a.csv, results/verify/new.csv")


def test_missing_manifest_says_to_run_make_manifest(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("compare", "check"):
        code, out, err = run_main(capsys, command, "--root", str(tree))
        assert code == 3 and not out
        assert "make manifest" in err and MANIFEST in err


def test_not_the_root_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "compare", "--root", str(tmp_path))
    assert code == 3 and "--root" in err


def test_compare_is_sorted_and_classifies_every_path() -> None:
    manifest = {"results/b": "1" * 64, "results/a": "2" * 64, "results/c": "3" * 64}
    actual = {"results/c": "3" * 64, "results/a": "0" * 64, "results/B": "4" * 64}
    assert compare(manifest, actual) == [
        ("unexpected", "results/B"),
        ("DIFFERS", "results/a"),
        ("missing", "results/b"),
        ("same", "results/c"),
    ]
    assert report(compare(actual, actual))[1] == 0
    assert report(compare(manifest, actual))[1] == 1


def test_parse_manifest_is_strict() -> None:
    digest = "a" * 64
    assert parse_manifest(f"{digest}  results/x y.csv\n\n{digest} *results/z\n") == {
        "results/x y.csv": digest,
        "results/z": digest,
    }
    with pytest.raises(VerifyError, match=":2: not a"):
        parse_manifest(f"{digest}  results/x\nabc  results/y\n")
    with pytest.raises(VerifyError, match="listed twice"):
        parse_manifest(f"{digest}  results/x\n{digest}  results/x\n")
    with pytest.raises(VerifyError, match="no file"):
        parse_manifest("\n")


# --- clean copy ---------------------------------------------------------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "verify",
    "GIT_AUTHOR_EMAIL": "verify@example.org",
    "GIT_COMMITTER_NAME": "verify",
    "GIT_COMMITTER_EMAIL": "verify@example.org",
    "GIT_AUTHOR_DATE": "2024-09-27T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-09-27T00:00:00Z",
}


def git_commit_all(root: Path) -> None:
    """Make ``root`` a git repository with everything not ignored committed, reproducibly."""
    env = {**os.environ, **GIT_ENV}
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "sources"],
    ):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_sources_are_tracked_plus_untracked_not_ignored(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "analysis").mkdir(parents=True)
    (root / ".gitignore").write_text("/results/\n__pycache__/\n")  # forgets .build/
    (root / "analysis/kept.py").write_text("x = 1\n")
    (root / "deleted.txt").write_text("gone\n")
    git_commit_all(root)
    (root / "deleted.txt").unlink()
    (root / "analysis/kept.py").write_text("x = 2\n")  # uncommitted edit: copied as it is
    (root / "new.txt").write_text("untracked, not ignored\n")
    (root / "results").mkdir()
    (root / "results/out.csv").write_text("ignored\n")
    (root / "analysis/__pycache__").mkdir()
    (root / "analysis/__pycache__/kept.pyc").write_bytes(b"\0")
    (root / ".build/results").mkdir(parents=True)  # staged outputs: generated, never copied
    (root / ".build/results/out.csv").write_text("staged\n")
    names, how = source_files(root)
    assert how == "git ls-files"
    assert names == [".gitignore", "analysis/kept.py", "new.txt"]
    dest = tmp_path / "copy"
    assert verify.copy_sources(root, dest, names) == 3
    assert (dest / "analysis/kept.py").read_text() == "x = 2\n"


def test_without_git_the_walk_skips_what_gitignore_lists(tree: Path) -> None:
    for junk in (
        ".venv/bin/python",
        ".snakemake/log",
        "analysis/__pycache__/m.pyc",
        "peerwork.egg-info/PKG-INFO",
        "data/private/names.txt",
        ".build/x",
    ):
        (tree / junk).parent.mkdir(parents=True, exist_ok=True)
        (tree / junk).write_text("")
    (tree / "analysis/m.py").write_text("")
    (tree / "data/synthetic").mkdir(parents=True)
    (tree / "data/synthetic/a.csv").write_text("")
    names, how = source_files(tree)
    if how == "git ls-files":  # pragma: no cover - tmp inside a work tree
        pytest.skip("the temporary folder is inside a git work tree")
    assert names == ["analysis/m.py", "data/synthetic/a.csv", "workflow/Snakefile"]


def test_offline_prefix_without_unshare_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    prefix, note = verify.offline_prefix()
    assert prefix == [] and note.startswith("offline: NO")


def test_build_entry_point_and_environment(tmp_path: Path) -> None:
    (tmp_path / "analysis").mkdir()
    command = verify.build_command(tmp_path)
    assert command[0].endswith("snakemake") and command[1:] == [
        "-s",
        "workflow/Snakefile",
        "--cores",
        "2",
    ]
    (tmp_path / "compendium").mkdir()
    (tmp_path / "compendium/build.py").write_text("")
    assert verify.build_command(tmp_path) == [
        sys.executable,
        "-m",
        "compendium.build",
        "--root",
        str(tmp_path),
    ]
    env = verify.build_env(tmp_path, {"PATH": "/usr/bin", "PYTHONPATH": "/elsewhere"})
    assert env["PYTHONPATH"] == str(tmp_path)
    assert env["PATH"].split(os.pathsep) == [str(Path(sys.executable).parent), "/usr/bin"]
    assert env["SOURCE_DATE_EPOCH"] == "1727395200" and env["LC_ALL"] == "C.UTF-8"


# --- check, with a stand-in build (seconds, not minutes) ----------------------------------

STAND_IN_BUILD = '''\
"""Stand-in for the real build: writes the results from the copy's own package."""
import os, socket, sys
from pathlib import Path
import analysis

root = Path(sys.argv[sys.argv.index("--root") + 1])
print("stand-in build in", os.getcwd())
if (root / "FAIL").exists():
    print("something went wrong")
    sys.exit(4)
for sub in {covered!r}:
    (root / sub).mkdir(parents=True, exist_ok=True)
    (root / sub / "a.csv").write_text(sub + "\\n1,2\\n")
(root / "results/figures/B.svg").write_text("<svg/>\\n")
(root / "results/stats/study1").mkdir(exist_ok=True)
(root / "results/stats/study1/model.json").write_text("{{}}\\n")
if os.environ.get("STAND_IN_REPORT"):
    (root / "results/verify/env.txt").write_text(
        analysis.__file__ + "\\n" + os.environ["SOURCE_DATE_EPOCH"] + "\\n"
        + " ".join(sorted(name for _, name in socket.if_nameindex())) + "\\n")
'''


def stand_in_repo(root: Path) -> Path:
    """A tree whose ``compendium.build`` makes the results of :func:`make_tree` in a second."""
    make_tree(root)
    (root / "analysis").mkdir()
    (root / "analysis/__init__.py").write_text("")
    (root / "compendium").mkdir()
    (root / "compendium/build.py").write_text(STAND_IN_BUILD.format(covered=COVERED))
    return root


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tmp").mkdir()  # check's temporary folder goes here (tempfile caches it)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    root = stand_in_repo(tmp_path / "repo")
    subprocess.run(
        [sys.executable, "-m", "compendium.build", "--root", str(root)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
        capture_output=True,
    )
    assert main(["manifest", "--root", str(root)]) == 0
    return root


def test_check_rebuilds_a_clean_copy_with_its_own_package(
    stand_in: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAND_IN_REPORT", "1")  # the copy's build reports what it saw
    code, out, _ = run_main(capsys, "check", "--root", str(stand_in), "--keep")
    text = "\n".join(out)
    assert code == 1, text  # env.txt is new in the copy: unexpected, and named
    assert "(a folder walk" in out[0]
    assert out[-2] == "NOT reproduced (1 of 11 files): results/verify/env.txt"
    assert out[-3].endswith("10 same, 0 differ, 0 missing, 1 unexpected")
    kept = Path(out[-1].removeprefix("kept: "))
    assert kept.parent == Path(tempfile.gettempdir())
    copy = kept / "compendium"
    assert not (copy / "logs").exists(), "the copy must not hold ignored folders"
    package, epoch, interfaces = (copy / "results/verify/env.txt").read_text().splitlines()
    assert Path(package).parent == copy / "analysis", "the copy's own package must be used"
    assert epoch == "1727395200"
    if "offline: yes" in text:
        assert interfaces == "lo"
    assert (kept / "build.log").read_text().startswith("stand-in build in")


def test_check_passes_and_removes_its_folder(
    stand_in: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main(capsys, "check", "--root", str(stand_in))
    assert code == 0, "\n".join(out)
    assert out[-1] == f"reproduced: all 10 files are identical to {MANIFEST}"
    assert not list(Path(tempfile.gettempdir()).iterdir())


def test_check_names_a_changed_byte_in_the_local_results(
    stand_in: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make` then one changed byte of a result: the rebuild is fine, the folder is not."""
    target = stand_in / "results/tallies/a.csv"
    target.write_bytes(target.read_bytes().replace(b"1", b"2"))
    code, out, _ = run_main(capsys, "check", "--root", str(stand_in))
    assert code == 1
    assert f"DIFFERS  results/tallies/a.csv{LOCAL_NOTE}" in out
    assert out[-1].startswith("NOT reproduced (1 of 10 files): results/tallies/a.csv")


def test_check_reports_a_failed_build_with_its_tail(
    stand_in: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (stand_in / "FAIL").write_text("")
    code, out, _ = run_main(capsys, "check", "--root", str(stand_in))
    assert code == 2
    assert "something went wrong" in out
    assert out[-1].startswith("build FAILED (exit 4)")


# --- end to end ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_real_build_compares_same_and_names_a_flipped_byte(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = parse_manifest("\n".join(manifest_lines(built)))
    assert {name.split("/")[1] for name in recorded} >= {
        "manuscripts",
        "tallies",
        "stats",
        "synthesis",
        "figures",
        "render",
        "verify",
    }
    assert len([n for n in recorded if n.startswith("results/manuscripts/")]) == 12
    lines, code = verify.compare_tree(built, recorded)
    assert code == 0, lines[-1]
    # flip one byte in a copy of the results (the session build is shared)
    root = tmp_path / "copy"
    shutil.copytree(built / "results", root / "results")
    (root / "workflow").mkdir()
    (root / "workflow/Snakefile").write_text("")
    (root / MANIFEST).write_text("\n".join(manifest_lines(built)) + "\n")
    target = root / "results/manuscripts/article2.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x20
    target.write_bytes(bytes(data))
    code, out, _ = run_main(capsys, "compare", "--root", str(root))
    assert code == 1
    assert [line for line in out if not line.startswith("same  ")][:1] == [
        "DIFFERS  results/manuscripts/article2.pdf"
    ]
    assert out[-1].endswith(": results/manuscripts/article2.pdf")


class CheckRun(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    kept: Path


def checked_copy(request: pytest.FixtureRequest) -> CheckRun:
    """`make manifest` then `make verify --keep` on a git copy of the session build, once.

    Shared with tests/test_offline.py, since `check` rebuilds inside `unshare -rn`, which is
    the offline build that test needs. Run once per pytest run even when the two tests land
    on different xdist workers (pytest-xdist 3.8 does not group `xdist_group` tests under
    pytest 9.2, pytest-xdist#1386): the first caller builds under a file lock in the run's
    shared temporary folder and records the outcome; the other reads it.
    """
    shared = request.getfixturevalue("tmp_path_factory").getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent  # the controller's folder, above every worker's
    record = shared / "verify-check.json"
    with (shared / "verify-check.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            built: Path = request.getfixturevalue("built")
            base = Path(tempfile.mkdtemp(prefix="verify-check-", dir=shared))
            root = base / "compendium"
            shutil.copytree(built, root, ignore=shutil.ignore_patterns(".snakemake", "logs"))
            git_commit_all(root)
            env = {**os.environ, "TMPDIR": str(base)}
            command = [sys.executable, "-m", "compendium.verify"]
            done = subprocess.run(
                [*command, "manifest"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            done = subprocess.run(
                [*command, "check", "--keep"],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            kept = done.stdout.splitlines()[-1].removeprefix("kept: ")
            record.write_text(
                json.dumps(
                    {
                        "returncode": done.returncode,
                        "stdout": done.stdout,
                        "stderr": done.stderr,
                        "kept": kept,
                    }
                )
            )
    run = json.loads(record.read_text())
    return CheckRun(run["returncode"], run["stdout"], run["stderr"], Path(run["kept"]))


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_check_rebuilds_the_committed_results(request: pytest.FixtureRequest) -> None:
    done = checked_copy(request)
    out = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "copied" in out[0] and "(git ls-files)" in out[0]
    assert not any(line.startswith("note: the copy includes uncommitted") for line in out)
    rows = [
        line
        for line in out
        if line.startswith(("same  ", "DIFFERS  ", "missing  ", "unexpected  "))
    ]
    assert rows and all(line.startswith("same  ") for line in rows)
    assert out[-2].startswith("reproduced: all") and out[-1] == f"kept: {done.kept}"
    assert not (done.kept / "compendium/.git").exists(), "the copy holds sources, not history"


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_committed_manifest_is_in_step_with_the_sources(built: Path) -> None:
    """What `make verify` checks, on the session build: a stale manifest fails here first."""
    if not (built / MANIFEST).is_file():
        pytest.skip(f"no {MANIFEST} in the repository yet: run `make`, then `make manifest`")
    lines, code = verify.compare_tree(built, verify.read_manifest(built))
    assert code == 0, (
        f"{MANIFEST} is out of step with the sources: run `make`, then "
        "`make manifest`, and commit it\n"
        + "\n".join(line for line in lines if not line.startswith("same  "))
    )


def test_the_rebuild_shows_snakemakes_step_counter(tmp_path: Path) -> None:
    """make verify is not silent for the length of a build: the step counter is shown."""
    assert (
        verify.progress_line("12 of 44 steps (27%) done\n")
        == "  rebuild: 12 of 44 steps (27%) done"
    )
    assert verify.progress_line("rule render:\n") is None
    script = (
        "print('Building DAG of jobs...'); print('1 of 2 steps (50%) done'); "
        "print('2 of 2 steps (100%) done')"
    )
    shown = io.StringIO()
    code, last = verify.rebuild(
        tmp_path, [sys.executable, "-c", script, "--"], tmp_path / "build.log", progress=shown
    )
    assert code == 0 and last[-1] == "2 of 2 steps (100%) done"
    assert shown.getvalue().splitlines() == [
        "  rebuild: 1 of 2 steps (50%) done",
        "  rebuild: 2 of 2 steps (100%) done",
    ]
    assert "Building DAG" in (tmp_path / "build.log").read_text()
