"""End to end: the DAG on the committed synthetic data in a temporary copy."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path

import nbformat
import pytest
from docx import Document
from pypdf import PdfReader

from tests.conftest import snakemake
from tests.test_verify import checked_copy

DOCS = ("article1", "article2", "article3", "thesis")
FIGURES = {"article1": 3, "article2": 1, "article3": 1, "thesis": 1}
BANNER = "SYNTHETIC DATA"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def test_build_writes_exactly_the_twelve_documents(built: Path) -> None:
    found = sorted(p.name for p in (built / "results/manuscripts").iterdir())
    assert found == sorted(f"{d}.{f}" for d in DOCS for f in ("html", "pdf", "docx"))


@pytest.mark.parametrize("doc", DOCS)
def test_pdf_parses_has_pages_and_banner(built: Path, doc: str) -> None:
    reader = PdfReader(built / f"results/manuscripts/{doc}.pdf")
    assert len(reader.pages) >= 2
    first = " ".join(reader.pages[0].extract_text().split())
    assert BANNER in first


@pytest.mark.parametrize("doc", DOCS)
def test_docx_is_a_valid_package_with_banner_and_images(built: Path, doc: str) -> None:
    path = built / f"results/manuscripts/{doc}.docx"
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert len(media) >= FIGURES[doc]
    document = Document(str(path))
    assert document.paragraphs[0].text.startswith(BANNER)
    assert len(document.tables) >= 2


@pytest.mark.parametrize("doc", DOCS)
def test_html_embeds_every_figure_and_shows_banner(built: Path, doc: str) -> None:
    html = (built / f"results/manuscripts/{doc}.html").read_text(encoding="utf-8")
    assert 'class="synthetic-banner"' in html
    assert not re.search(r'<img[^>]+src="(?!data:)', html), "figure not embedded"
    assert "<script src=" not in html
    figures = re.findall(r"<figure", html)
    assert len(figures) >= FIGURES[doc]
    for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html):
        assert base64.b64decode(uri).lstrip().startswith((b"<?xml", b"<svg"))
    assert "Figure 1" in html.replace("\u00a0", " ")


def test_notebooks_are_executed_and_exported(built: Path) -> None:
    for nb in ("study1", "study2", "study3", "synthesis"):
        html = (built / f"results/notebooks/{nb}.html").read_text(encoding="utf-8")
        assert BANNER in html
        executed = nbformat.read(built / f"results/notebooks/{nb}.ipynb", as_version=4)
        code = [c for c in executed.cells if c.cell_type == "code"]
        assert code and all(c.execution_count for c in code), f"{nb}: a cell did not run"
        outputs = [o for c in code for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], f"{nb}: a cell failed"
        assert any(o.output_type in ("execute_result", "display_data") for o in outputs)


def test_second_run_has_nothing_to_do(built: Path) -> None:
    result = snakemake(built, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_two_builds_in_different_folders_are_byte_identical(
    built: Path, request: pytest.FixtureRequest
) -> None:
    """The session build against ``make verify``'s rebuild of a clean copy elsewhere, later,
    offline: every result, not only the files the manifest covers, must be the same."""
    other = checked_copy(request).kept / "compendium"
    for sub in (
        "manuscripts",
        "render",
        "tallies",
        "stats",
        "synthesis",
        "figures",
        "notebooks",
        "clean",
        "verify",
        "privacy",
    ):
        a, b = _digests(built / "results" / sub), _digests(other / "results" / sub)
        assert a and a.keys() == b.keys(), sub
        differ = [k for k in a if a[k] != b[k]]
        assert not differ, f"results/{sub} differs between builds: {differ}"
