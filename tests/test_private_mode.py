"""Private mode end to end: the authors' data outside the repository, no trace left in it.

The committed synthetic inputs stand in for private data: they are copied to a folder
outside the repository copy, with a configuration (``mode: private``, an absolute
``data_dir``, a private list of real names) that is passed to the staged build with
``--configfile``. The build must drop the synthetic banner, write nothing in the repository
but its generated folders, put neither the private folder's path nor a listed name in any
published file, and publish only into git-ignored folders.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document
from pypdf import PdfReader

from tests.conftest import copy_repo, run_build

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

BANNER = "SYNTHETIC DATA"
GENERATED = {"results", "logs", ".build", ".snakemake"}
# Made-up names that occur nowhere in the synthetic material: the gate must pass, and the
# names file must not leak into any output.
NAMES = ["Ingeborg Tveitevåg", "Sølvi Kvammenes-Hope", "Torgeir Ulvestrand"]


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file outside the generated folders.

    ``__pycache__`` is left out: bytecode caches are not sources (git-ignored) and Python
    may write them when the build imports ``analysis`` from the tree.
    """
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = [
            d for d in dirnames if d != "__pycache__" and not (rel == Path(".") and d in GENERATED)
        ]
        for name in filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            state[str(rel / name)] = (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns)
    return state


def document_text(path: Path) -> str:
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix == ".docx":
        doc = Document(str(path))
        with zipfile.ZipFile(path) as z:
            xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        return "\n".join(p.text for p in doc.paragraphs) + xml
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def private_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A repository copy built in private mode from a data folder outside it."""
    root = copy_repo(tmp_path_factory.mktemp("private-repo") / "compendium")
    private = tmp_path_factory.mktemp("secure-share")
    config = yaml.safe_load((root / "config/config.yaml").read_text(encoding="utf-8"))
    source = Path(config["data_dir"])
    shutil.copytree(root / source if not source.is_absolute() else source, private / "data")
    (private / "names.txt").write_text(
        "# participants\n" + "\n".join(NAMES) + "\n", encoding="utf-8"
    )
    config.update(mode="private", data_dir=str(private / "data"))
    config.setdefault("privacy", {})["names_file"] = str(private / "names.txt")
    configfile = private / "config.yaml"
    configfile.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")

    before = snapshot(root)
    done = run_build(root, "--configfile", str(configfile))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    after = snapshot(root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the build wrote outside results/, logs/, .build/: {changed}"
    return root, private, done.stdout + done.stderr


def test_private_documents_have_no_synthetic_banner(private_build: tuple[Path, Path, str]) -> None:
    root = private_build[0]
    documents = sorted((root / "results/manuscripts").iterdir())
    assert len(documents) == 12
    for path in [*documents, *sorted((root / "results/notebooks").glob("*.html"))]:
        text = document_text(path)
        assert BANNER not in text, f"{path.name} shows the synthetic banner"
        assert "synthetic-banner" not in text, path.name


def test_no_private_path_or_name_reaches_the_results(private_build: tuple[Path, Path, str]) -> None:
    root, private, _ = private_build
    needles = {
        str(private).encode(),
        os.path.realpath(private).encode(),
        *(n.encode() for n in NAMES),
        *(n.casefold().encode() for n in NAMES),
    }
    leaks = [
        (str(p.relative_to(root)), n.decode())
        for p in sorted((root / "results").rglob("*"))
        if p.is_file()
        for n in needles
        if n in p.read_bytes()
    ]
    assert not leaks, f"private folder or names in results/: {leaks}"


def test_results_are_git_ignored(private_build: tuple[Path, Path, str]) -> None:
    root = private_build[0]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    for name in ("results", "logs", ".build", "results/manuscripts/thesis.pdf"):
        check = subprocess.run(["git", "check-ignore", "-q", name], cwd=root)
        assert check.returncode == 0, f"{name} is not git-ignored"
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    generated = [f for f in untracked.splitlines() if f.split("/")[0] in GENERATED]
    assert not generated, f"generated files git would pick up: {generated[:10]}"
