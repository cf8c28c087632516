"""A build with nothing to do does not start Snakemake (``make`` stays instant).

Driven with a stand-in for Snakemake that counts its runs: after a full, published build,
an unchanged tree is published again without it; any change to a source or a staged
result, any Snakemake argument, or data read in place outside the repository runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compendium import build as staged
from tests.test_build import fake_snakemake, write_tree

COUNT_RUNS = (
    "import pathlib\n"
    "p = pathlib.Path('.build/results/doc.txt')\n"
    "p.parent.mkdir(parents=True, exist_ok=True); p.write_text('doc')\n"
    "runs = pathlib.Path('../runs.txt')\n"
    "runs.write_text(runs.read_text() + 'x' if runs.exists() else 'x')\n"
)


def runs(root: Path) -> int:
    path = root.parent / "runs.txt"  # outside the tree: not a source
    return len(path.read_text()) if path.exists() else 0


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tree = tmp_path / "repo"
    write_tree(
        tree,
        {"workflow/Snakefile": "", "config/config.yaml": "mode: synthetic\n", "data/x.csv": "a\n"},
    )
    fake_snakemake(monkeypatch, COUNT_RUNS)
    return tree


def test_an_unchanged_tree_does_not_start_snakemake(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert staged.build(root) == 0
    first = runs(root)  # the run and the report
    assert first >= 1 and (root / "results/doc.txt").read_text() == "doc"
    (root / "results/doc.txt").unlink()  # a published file deleted by hand: republished
    assert staged.build(root) == 0
    assert runs(root) == first
    assert (root / "results/doc.txt").read_text() == "doc"
    assert "Snakemake not started" in capsys.readouterr().err


def test_a_changed_source_result_or_argument_starts_it(root: Path) -> None:
    assert staged.build(root) == 0
    n = runs(root)
    (root / "data/x.csv").write_text("b\n")
    assert staged.build(root) == 0
    assert runs(root) > n
    n = runs(root)
    (root / ".build/results/doc.txt").write_text("changed in the staging folder")
    assert staged.build(root) == 0
    assert runs(root) > n
    n = runs(root)
    assert staged.build(root, ["--dry-run"]) == 0
    assert runs(root) > n


def test_data_read_in_place_always_starts_it(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("private")
    (root / "config/config.yaml").write_text(f"mode: synthetic\ndata_dir: {outside}\n")
    assert staged.build(root) == 0
    n = runs(root)
    assert staged.build(root) == 0
    assert runs(root) > n
