"""Stale results after a restore (issue #11): a failed attempt leaves nothing a later one trusts.

The exact sequence from the issue, on a copy of the session build: back up the PRISMA
sheet keeping its modification time (``cp -a``), edit one database label, build (the claims
check fails, results/ untouched), restore the backup (old modification time again), edit
article 2's prose, build. Before the fix the second build failed again on the edited label:
the first attempt's staged clean output was newer than the restored sheet, so Snakemake
trusted it. Now the failed attempt is rolled back and the second build publishes results
made from the restored bytes, re-running only what the prose edit needs.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from compendium import build as staged
from compendium import publish
from tests.conftest import copy_built, run_build
from tests.test_build import digests, fake_snakemake, write_tree

SENTENCE = "A sentence added while a backup was being restored."
WRITE_AND_FAIL = (
    "import os, pathlib, sys\n"
    "p = pathlib.Path('.build/results/clean.csv'); p.write_text('from the edited input')\n"
    "pathlib.Path('.build/results/new.csv').write_text('new')\n"
    "m = pathlib.Path('.build/.snakemake/metadata/x'); m.parent.mkdir(parents=True, "
    "exist_ok=True); m.write_text('failed job')\n"
    "sys.exit(1)"
)


def _published(tmp_path: Path) -> Path:
    """A root whose staging folder is exactly its published state (as after a success)."""
    write_tree(
        tmp_path,
        {
            "workflow/Snakefile": "",
            "results/clean.csv": "published",
            ".build/results/clean.csv": "published",
            ".build/.snakemake/metadata/x": "published job",
        },
    )
    publish.publish(tmp_path)
    return tmp_path


def test_a_failed_attempt_is_rolled_back_in_the_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _published(tmp_path)
    fake_snakemake(monkeypatch, WRITE_AND_FAIL)
    assert staged.build(root) == 1
    assert digests(root / ".build/results") == digests(root / "results")
    assert (root / ".build/.snakemake/metadata/x").read_text() == "published job"


def test_a_restored_source_is_newer_than_what_the_staging_folder_made_from_it(
    tmp_path: Path,
) -> None:
    """Input identity decides staleness: a source copied back with its old mtime but other
    bytes is staged with a fresh mtime (even if the build that saw the edit was killed and
    rolled nothing back), and it stays that new until its bytes change again; a ``touch``
    of the source still moves the copy forward."""
    root = tmp_path / "root"
    write_tree(root, {"data/x.csv": "original"})
    old = 1_600_000_000
    os.utime(root / "data/x.csv", (old, old))
    stage = root / ".build"
    staged.snapshot_sources(root, stage)
    assert (stage / "data/x.csv").stat().st_mtime == old
    (root / "data/x.csv").write_text("edited!!")  # same size: the bytes are compared
    staged.snapshot_sources(root, stage)
    output = stage / "results/clean.csv"  # made from the edited bytes
    write_tree(stage, {"results/clean.csv": "from the edited input"})
    (root / "data/x.csv").write_text("original")
    os.utime(root / "data/x.csv", (old, old))  # the restore: old bytes, old mtime
    staged.snapshot_sources(root, stage)
    assert (stage / "data/x.csv").read_text() == "original"
    assert (stage / "data/x.csv").stat().st_mtime_ns > output.stat().st_mtime_ns
    restored = (stage / "data/x.csv").stat().st_mtime_ns
    staged.snapshot_sources(root, stage)  # a build killed before re-running: still newer
    assert (stage / "data/x.csv").stat().st_mtime_ns == restored
    os.utime(root / "data/x.csv", ns=(restored + 10**9, restored + 10**9))  # touch
    staged.snapshot_sources(root, stage)
    assert (stage / "data/x.csv").stat().st_mtime_ns == restored + 10**9


def test_before_any_publish_a_failed_attempt_leaves_nothing_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"workflow/Snakefile": "", ".build/results/clean.csv": "x"})
    fake_snakemake(monkeypatch, WRITE_AND_FAIL)
    assert staged.build(tmp_path) == 1
    assert not (tmp_path / ".build/results").exists()
    assert not (tmp_path / "results").exists()


def _edit_label(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if line.startswith("identified_database,"))
    stage, item, n = lines[i].rstrip("\n").split(",")
    lines[i] = f"{stage},{item} (edited),{n}\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_a_restored_input_is_not_shadowed_by_a_failed_attempts_outputs(
    built: Path, tmp_path: Path
) -> None:
    root = copy_built(built, tmp_path / "compendium")
    prisma = root / "data/synthetic/study1/prisma.csv"
    backup = root / "prisma.bak"
    shutil.copy2(prisma, backup)  # cp -a: bytes and modification time
    staged_clean = root / ".build/results/clean/study1_prisma.csv"
    published_clean = (root / "results/clean/study1_prisma.csv").read_bytes()
    results = digests(root / "results")

    _edit_label(prisma)
    done = run_build(root)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert "s1-databases" in output, "the claims check should have stopped the edited label"
    assert "(edited)" not in output, "the claims check quotes input text unmasked"
    assert digests(root / "results") == results, "a failed build changed results/"
    # the failed attempt's outputs are gone from the staging folder, not merely unpublished
    assert staged_clean.read_bytes() == published_clean

    shutil.copy2(backup, prisma)  # the restore: old bytes, old modification time
    qmd = root / "manuscript/article2/index.qmd"
    text = qmd.read_text(encoding="utf-8")
    para = text.index("\n\n", text.index("\n# ")) + 2
    qmd.write_text(text[:para] + SENTENCE + "\n\n" + text[para:], encoding="utf-8")
    done = run_build(root)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "(edited)" not in (root / "results/clean/study1_prisma.csv").read_text()
    assert (root / "results/clean/study1_prisma.csv").read_bytes() == published_clean
    assert SENTENCE in (root / "results/manuscripts/article2.html").read_text()
    ran = set(re.findall(r"^\s*(?:local)?rule (\w+):", output, re.MULTILINE))
    assert "clean_study1" not in ran and "provenance" not in ran, sorted(ran)
    changed = {
        name for name, digest in digests(root / "results").items() if results.get(name) != digest
    }
    assert {
        "manuscripts/article2.html",
        "manuscripts/article2.pdf",
        "manuscripts/article2.docx",
    } <= changed
    assert not any(
        name.startswith(
            (
                "manuscripts/article1",
                "manuscripts/article3",
                "manuscripts/thesis",
                "clean/",
                "tallies/",
                "stats/",
            )
        )
        for name in changed
    ), sorted(changed)
