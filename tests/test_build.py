"""Staged builds (compendium/build.py): a failed build leaves results/ exactly as it was.

Fast tests drive :mod:`compendium.build` with a stand-in for Snakemake; the end-to-end tests
break the inputs of a complete build (an identity number in a transcript, PRISMA counts
that no longer add up) and check that the build fails loudly and changes nothing published.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import os
import re
import signal
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import yaml
from stdnum.no import fodselsnummer

from compendium import build as staged
from tests.conftest import copy_built, run_build

# ------------------------------------------------------------------------------ helpers


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` (hidden ones too), by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_tree(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def fake_snakemake(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """Replace Snakemake by a Python snippet run in the same place (cwd = the root)."""
    monkeypatch.setattr(staged, "snakemake_command", lambda *args: [sys.executable, "-c", code])


def a_fodselsnummer() -> str:
    """A made-up but checksum-valid Norwegian national identity number (not printed)."""
    for individual in range(100, 500):
        base = f"150785{individual:03d}"
        first = fodselsnummer.calc_check_digit1(base)
        second = fodselsnummer.calc_check_digit2(base + first)
        number = base + first + second
        if len(number) == 11 and fodselsnummer.is_valid(number):
            return number
    raise AssertionError("no valid number found")


def study_inputs(root: Path, study: str) -> tuple[Path, dict[str, str]]:
    """The data folder and the input spec of ``study`` in the copy's configuration."""
    config = yaml.safe_load((root / "config/config.yaml").read_text(encoding="utf-8"))
    data_dir = Path(config["data_dir"])
    return (data_dir if data_dir.is_absolute() else root / data_dir), config["inputs"][study]


def plant_in_csv(path: Path, number: str) -> None:
    """Put ``number`` into the text of the first segment of a segments sheet."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and "text" in rows[0], path
    rows[0]["text"] = f"{rows[0]['text']} Personnummeret mitt er {number}."
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def plant_in_qdpx(path: Path, number: str) -> str:
    """Overwrite 11 code points inside a coded span of a transcript with ``number``.

    The first run of 11 letters or spaces that lies within some PlainTextSelection
    [startPosition, endPosition) of its source is replaced, so every selection keeps its
    offsets and the number lands in a coded meaning unit (REFI-QDA positions are Unicode
    code points, as Python indexes str). The zip is rewritten with the same member order.
    Returns the name of the member that was changed.
    """
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        members = {i.filename: z.read(i) for i in infos}
    qde = next(n for n in members if n.endswith(".qde"))
    root = ET.fromstring(members[qde])
    run = re.compile(r"(?:[^\W\d_]| ){11}")
    for source in root.iter():
        if not source.tag.endswith("TextSource"):
            continue
        ref = source.get("plainTextPath", "")
        if not ref.startswith("internal://"):
            continue
        member = "sources/" + ref[len("internal://") :]
        if member not in members:
            continue
        text = members[member].decode("utf-8")
        spans = sorted(
            (int(sel.get("startPosition")), int(sel.get("endPosition")))
            for sel in source.iter()
            if sel.tag.endswith("PlainTextSelection")
        )
        for start, end in spans:
            hit = run.search(text, start, end)
            if hit is not None:
                text = text[: hit.start()] + number + text[hit.end() :]
                members[member] = text.encode("utf-8")
                with zipfile.ZipFile(path, "w") as z:
                    for info in infos:
                        z.writestr(info, members[info.filename])
                return member
    raise AssertionError(f"{path}: no coded span with 11 letters or spaces")


def plant_identifier(root: Path, study: str, number: str) -> Path:
    """Put an identity number into ``study``'s coded text, whichever format the config
    uses (a REFI-QDA project, or the segments sheet); return the file changed."""
    data_dir, spec = study_inputs(root, study)
    if "qdpx" in spec:
        path = data_dir / spec["qdpx"]
        plant_in_qdpx(path, number)
    else:
        path = data_dir / spec["segments"]
        plant_in_csv(path, number)
    return path


# --------------------------------------------------------------------- fast: publishing


def test_mirror_makes_the_destination_equal_and_is_idempotent(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    write_tree(
        src,
        {
            "a.txt": "new a",
            "sub/b.txt": "b",
            "sub/deep/c.txt": "c",
            "render/x/.snakemake_timestamp": "",
            ".x.txt.abc.part": "scratch",
        },
    )
    (src / "empty").mkdir()
    write_tree(
        dst,
        {
            "a.txt": "old a",
            "gone.txt": "g",
            "old/d.txt": "d",
            "sub/deep": "a file where a folder belongs",
            ".stale.publish.part": "s",
        },
    )
    os.utime(src / "sub/b.txt", ns=(1_000_000_000, 1_000_000_000))

    assert staged.mirror(src, dst) == 4
    expected = {k: v for k, v in digests(src).items() if not k.endswith(".part")}
    assert digests(dst) == expected
    assert (dst / "empty").is_dir() and not (dst / "old").exists()
    assert (dst / "sub/b.txt").stat().st_mtime_ns == 1_000_000_000
    assert staged.mirror(src, dst) == 0, "second publish copied again"
    assert digests(dst) == expected


def test_mirror_replaces_a_folder_by_a_file(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    write_tree(src, {"tables": "now a file"})
    write_tree(dst, {"tables/t.md": "was a folder"})
    staged.mirror(src, dst)
    assert (dst / "tables").read_text() == "now a file"


def test_missing_source_folder_publishes_an_empty_one(tmp_path: Path) -> None:
    write_tree(tmp_path / "dst", {"x": "1"})
    staged.mirror(tmp_path / "nothing", tmp_path / "dst")
    assert list((tmp_path / "dst").iterdir()) == []


def test_sources_are_snapshotted_into_the_staging_folder(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "workflow/Snakefile": "rule all:",
            "config/config.yaml": "a: 1",
            "Makefile": "all:",
            "results/x": "",
            "logs/y": "",
            ".git/HEAD": "",
            "analysis/__pycache__/m.pyc": "bytecode",
            "analysis/m.py": "x = 1",
        },
    )
    stage = tmp_path / ".build"
    write_tree(
        stage,
        {
            "gone/old.txt": "",
            "results/kept": "",
            ".snakemake/kept": "",
            "analysis/__pycache__/n.pyc": "kept",
        },
    )
    (stage / "config").symlink_to("../config")  # what an older staging folder held

    assert staged.snapshot_sources(tmp_path, stage) == 4
    assert sorted(p.name for p in stage.iterdir()) == [
        ".snakemake",
        "Makefile",
        "analysis",
        "config",
        "results",
        "workflow",
    ]
    assert not (stage / "config").is_symlink()
    assert digests(stage / "workflow") == digests(tmp_path / "workflow")
    assert (stage / "analysis/__pycache__/n.pyc").exists(), "caches are left alone"
    assert not (stage / "analysis/__pycache__/m.pyc").exists(), "caches are not copied"
    source = tmp_path / "config/config.yaml"
    assert (stage / "config/config.yaml").stat().st_mtime_ns == source.stat().st_mtime_ns
    assert staged.snapshot_sources(tmp_path, stage) == 0

    # restored with an old mtime and the same size: still noticed, by content
    st = source.stat()
    source.write_text("a: 2")
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert staged.snapshot_sources(tmp_path, stage) == 1
    assert (stage / "config/config.yaml").read_text() == "a: 2"
    # touched only: same bytes, the copy takes the new mtime without a copy
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert staged.snapshot_sources(tmp_path, stage) == 0
    assert (stage / "config/config.yaml").stat().st_mtime_ns == st.st_mtime_ns + 10**9


@pytest.mark.parametrize(
    ("args", "full"),
    [
        ([], True),
        (["--configfile", "private.yaml"], True),
        (["--forcerun", "render"], True),
        (["--cores", "1"], True),
        (["-n"], False),
        (["results/manuscripts/article2.pdf"], False),
        (["--until", "privacy"], False),
        (["--list-rules"], False),
        (["--no-such-option"], False),
    ],
)
def test_only_a_build_of_the_whole_dag_is_published(args: list[str], full: bool) -> None:
    assert staged.is_full_build(args) is full


def _project(tmp_path: Path) -> Path:
    write_tree(
        tmp_path, {"workflow/Snakefile": "", "results/doc.txt": "old", "logs/run.log": "old log"}
    )
    return tmp_path


def test_a_failed_snakemake_leaves_results_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    before = digests(root / "results"), digests(root / "logs")
    fake_snakemake(
        monkeypatch,
        "import pathlib, sys\n"
        "p = pathlib.Path('.build/results/doc.txt')\n"
        "p.parent.mkdir(parents=True, exist_ok=True); p.write_text('half')\n"
        "sys.exit(3)",
    )
    assert staged.build(root) == 3
    assert (digests(root / "results"), digests(root / "logs")) == before
    assert "results/ and logs/ are unchanged" in capsys.readouterr().err


def test_a_successful_run_is_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    fake_snakemake(
        monkeypatch,
        "import pathlib\n"
        "p = pathlib.Path('.build/results/new.txt')\n"
        "p.parent.mkdir(parents=True, exist_ok=True); p.write_text('new')",
    )
    assert staged.build(root) == 0
    assert digests(root / "results") == digests(root / ".build/results")
    assert sorted(digests(root / "results")) == ["new.txt"]
    assert not (root / "logs").exists() or digests(root / "logs") == {}
    assert not (root / ".build" / staged.MARKER).exists()


def test_an_interrupted_publish_is_finished_before_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The marker means .build/results is a complete success not yet fully published: it is
    published before Snakemake runs again, so even a failing next build leaves results/
    consistent (all of the last successful build, nothing of the failed one)."""
    root = _project(tmp_path)
    write_tree(
        root / ".build",
        {"results/doc.txt": "new", "results/more.txt": "more", "logs/run.log": "new log"},
    )
    (root / ".build" / staged.MARKER).touch()
    fake_snakemake(
        monkeypatch,
        "import pathlib, sys\n"
        "pathlib.Path('.build/results/doc.txt').write_text('failed run')\n"
        "sys.exit(1)",
    )
    assert staged.build(root) == 1
    assert digests(root / "results") == {
        "doc.txt": hashlib.sha256(b"new").hexdigest(),
        "more.txt": hashlib.sha256(b"more").hexdigest(),
    }
    assert (root / "logs/run.log").read_text() == "new log"
    assert not (root / ".build" / staged.MARKER).exists()


def test_sigterm_is_passed_on_to_snakemake_and_nothing_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    fake_snakemake(
        monkeypatch,
        "import os, pathlib, signal, time\n"
        "p = pathlib.Path('.build/results/doc.txt')\n"
        "p.parent.mkdir(parents=True, exist_ok=True); p.write_text('half')\n"
        "time.sleep(0.5); os.kill(os.getppid(), signal.SIGTERM); time.sleep(30)",
    )
    before = signal.getsignal(signal.SIGTERM)
    assert staged.build(root) == 128 + signal.SIGTERM
    assert (root / "results/doc.txt").read_text() == "old"
    assert signal.getsignal(signal.SIGTERM) is before, "handler not restored"


def test_a_second_concurrent_build_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    fake_snakemake(monkeypatch, "raise SystemExit('must not run')")
    (root / ".build").mkdir()
    fd = os.open(root / ".build" / staged.LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert staged.build(root) == 1
    finally:
        os.close(fd)
    assert (root / "results/doc.txt").read_text() == "old"
    assert not (root / ".build/workflow").exists(), "the running build's snapshot was touched"


def test_determinism_defaults_and_the_roots_own_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("TZ", "Europe/Oslo")
    env = staged.build_env(tmp_path)
    assert env["SOURCE_DATE_EPOCH"] == "1727395200" and env["PYTHONHASHSEED"] == "0"
    assert env["TZ"] == "UTC", "the build's one precedence: the fixed values win"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path / ".build")


def test_the_staging_folder_is_git_ignored() -> None:
    ignored = Path(__file__).resolve().parents[1].joinpath(".gitignore").read_text().split()
    assert {"/results/", "/logs/", "/.build/"} <= set(ignored)


# ------------------------------------------------------------------- end to end: failures


def _fails_without_touching_results(root: Path) -> str:
    results, logs = digests(root / "results"), digests(root / "logs")
    assert len(results) > 100
    done = run_build(root)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert "results/ and logs/ are unchanged" in output
    assert digests(root / "results") == results, "a failed build changed results/"
    assert digests(root / "logs") == logs, "a failed build changed logs/"
    return output


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_identity_number_stops_the_build_and_keeps_results(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path / "compendium")
    number = a_fodselsnummer()
    changed = plant_identifier(root, "study2", number)
    output = _fails_without_touching_results(root)
    for shown in (number, f"{number[:6]} {number[6:]}"):
        assert shown not in output, "the build printed the identity number it refused"
    # the file named: the project or sheet itself, or (CSV) its cleaned copy
    hits = [
        line for line in output.splitlines() if "fodselsnummer" in line and changed.name in line
    ]
    assert hits, f"no privacy message naming {changed.name}:\n{output[-4000:]}"
    assert "Privacy gate" in output


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_inconsistent_prisma_counts_stop_the_build_and_keep_results(
    built: Path, tmp_path: Path
) -> None:
    root = copy_built(built, tmp_path / "compendium")
    data_dir, spec = study_inputs(root, "study1")
    path = data_dir / spec["prisma"]
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    row = next(r for r in rows if r["stage"] == "included")
    row["n"] = str(int(row["n"]) - 1)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    output = _fails_without_touching_results(root)
    assert re.search(r"prisma\.csv: box 'included' holds", output), output[-4000:]


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_the_snapshot_keeps_snakemakes_view_of_what_changed(built: Path, tmp_path: Path) -> None:
    """An unchanged tree has nothing to do; an edited source re-runs the jobs reading it
    (and a dry run publishes nothing)."""
    root = copy_built(built, tmp_path / "compendium")
    results = digests(root / "results")
    done = run_build(root, "--dry-run")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Nothing to be done" in done.stdout + done.stderr

    with (root / "manuscript/references.bib").open("a", encoding="utf-8") as bib:
        bib.write("\n% a comment\n")
    done = run_build(root, "--dry-run")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert re.search(r"^(local)?rule render:", output, re.MULTILINE), output[-4000:]
    assert "manuscript/references.bib" in output
    assert not re.search(r"^(local)?rule clean_study1?:", output, re.MULTILINE)
    assert "results/ and logs/ were not updated" in output
    assert digests(root / "results") == results


def test_data_mode_follows_configfiles_and_overrides(tmp_path: Path) -> None:
    """Private runs get no Snakemake report: it would list the private data's paths."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config/config.yaml").write_text("mode: synthetic\n")
    (tmp_path / "private.yaml").write_text("mode: private\ndata_dir: /secure\n")
    assert staged.data_mode(tmp_path, []) == "synthetic"
    assert staged.data_mode(tmp_path, ["--configfile", "private.yaml"]) == "private"
    assert staged.data_mode(tmp_path, ["--config", "mode=private"]) == "private"
    assert staged.data_mode(tmp_path, ["results/manuscripts/article1.pdf"]) == "synthetic"
