"""Typesetting a journal would accept (issue #10, item 5), with real pandoc, typst and citeproc.

The fixture project (tests/fixtures/render) is made long enough to span several PDF pages,
with a long table, so that the running notice and the repeated table header are tested on
pages other than the first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import matplotlib
import pandas as pd
import pypdf
import pytest
import yaml

from analysis import render
from analysis.render.metadata import document_metadata
from analysis.render.pandoc import HTML_CSS, _pandoc_executable, run_pandoc

matplotlib.use("Agg")

ROOT = Path(__file__).parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"
ROWS = 70  # enough rows for the table to continue on a second page


def long_project(destination: Path, *, quarto_yml: Path | None = None) -> Path:
    """The fixture with many paragraphs and a long, wide table (several PDF pages)."""
    shutil.copytree(FIXTURE, destination)
    shutil.copyfile(ROOT / "manuscript" / "apa.csl", destination / "apa.csl")
    if quarto_yml is not None:
        config = yaml.safe_load(quarto_yml.read_text(encoding="utf-8"))
        config["bibliography"], config["csl"] = "references.bib", "apa.csl"
        (destination / "_quarto.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    rows = "".join(
        f"| Partner in co-commissioning number {i} | category {i % 3} "
        f"| a long description of the service-cycle stage for source {i} |\n"
        for i in range(ROWS)
    )
    table = (
        "| Role category | Category | Description of the stage |\n|:--|:--|:--|\n"
        + rows
        + "\n: Sources by role category {#tbl-long}\n"
    )
    (destination / "tables" / "long.md").write_text(table, encoding="utf-8")
    prose = "Peer workers co-produce services with professionals and managers. " * 40
    with (destination / "index.qmd").open("a", encoding="utf-8") as qmd:
        qmd.write(f"\n# Discussion\n\n{prose}\n\nSee @tbl-long.\n\n")
        qmd.write("{{< include tables/long.md >}}\n\n" + f"{prose}\n")
    return destination


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_project(tmp_path_factory.mktemp("typeset") / "article")


@pytest.fixture(scope="module")
def outputs(project: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("typeset-out")
    return {
        fmt: render.render(project, out / f"a.{fmt}", fmt, synthetic=True, engine="pandoc")
        for fmt in render.FORMATS
    }


def page_texts(pdf: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages]


# ----------------------------------------------------------------- the synthetic-data notice


def test_every_pdf_page_carries_the_notice(outputs: dict[str, Path]) -> None:
    pages = page_texts(outputs["pdf"])
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert text.startswith(render.NOTICE_TEXT), f"page {number}: {text[:80]!r}"
    assert render.BANNER_TEXT in pages[0]  # and the full banner on page one


def test_docx_page_header_and_banner(outputs: dict[str, Path]) -> None:
    document = docx.Document(str(outputs["docx"]))
    assert len(document.sections) == 1
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header == [render.NOTICE_TEXT]
    assert document.paragraphs[0].text == render.BANNER_TEXT


def test_no_notice_without_synthetic(project: Path, tmp_path: Path) -> None:
    pdf = render.render(project, tmp_path / "r.pdf", "pdf", synthetic=False, engine="pandoc")
    assert all("SYNTHETIC" not in text for text in page_texts(pdf))
    word = render.render(project, tmp_path / "r.docx", "docx", synthetic=False, engine="pandoc")
    with zipfile.ZipFile(word) as archive:
        assert "word/header1.xml" not in archive.namelist()


# ----------------------------------------------------------------- tables


def test_typst_tables_have_auto_columns_left_alignment_and_header(project: Path) -> None:
    source, _ = run_pandoc(project, "pdf", synthetic=True)
    markup = source.decode("utf-8")
    long_table = markup[markup.index("Role category") - 400 :]
    columns = re.search(r"columns: ([^\n]*)", long_table)
    assert columns is not None and columns.group(1).strip(" ,") == "3"  # content-sized
    assert "%" not in columns.group(1)
    assert re.search(r"align: \(left,left,left,?\)", long_table)
    assert "table.header(" in long_table
    assert "set par(justify: false)" in markup and "set text(hyphenate: false)" in markup
    assert "sticky: true" in markup


def test_table_header_repeats_on_the_next_page(outputs: dict[str, Path]) -> None:
    pages = page_texts(outputs["pdf"])
    with_rows = [p for p in pages if "Partner in co-commissioning number" in p]
    assert len(with_rows) >= 2
    assert all("Role category Category Description of the stage" in p for p in with_rows)
    assert "co-com- mission" not in " ".join(pages)  # no hyphenation inside cells


def test_caption_is_on_the_page_of_its_table(outputs: dict[str, Path]) -> None:
    pages = page_texts(outputs["pdf"])
    caption = [i for i, p in enumerate(pages) if "Table 2: Sources by role category" in p]
    assert len(caption) == 1
    assert "Partner in co-commissioning number 0 " in pages[caption[0]]


def test_html_is_wide_enough_and_cells_left_aligned(outputs: dict[str, Path]) -> None:
    width = re.search(r"body \{ max-width: (\d+)em", HTML_CSS)
    assert width is not None and int(width.group(1)) >= 60
    markup = outputs["html"].read_text(encoding="utf-8")
    assert "text-align: left" in markup
    assert not re.search(r'<col style="width: \d+%"', markup)  # content-sized columns


# ----------------------------------------------------------------- front matter


def test_articles_have_no_contents_list_and_the_thesis_has_one(tmp_path: Path) -> None:
    project = long_project(tmp_path / "p", quarto_yml=ROOT / "manuscript" / "_quarto.yml")
    markup = render.render(project, tmp_path / "a.html", "html", synthetic=False).read_text()
    assert 'id="TOC"' not in markup
    source, _ = run_pandoc(project, "pdf", synthetic=False)
    assert "#outline(" not in source.decode("utf-8")
    word = render.render(project, tmp_path / "a.docx", "docx", synthetic=False)
    with zipfile.ZipFile(word) as archive:
        assert "TOC \\o" not in archive.read("word/document.xml").decode("utf-8")
    for doc in ("article1", "article2", "article3"):
        assert document_metadata_of(doc, tmp_path).get("toc") is not True, doc
    assert document_metadata_of("thesis", tmp_path).get("toc") is True


def document_metadata_of(doc: str, tmp_path: Path) -> dict[str, object]:
    """The merged metadata the real sources give (shared _quarto.yml + front matter)."""
    folder = tmp_path / "meta" / doc
    folder.mkdir(parents=True)
    shutil.copyfile(ROOT / "manuscript" / doc / "index.qmd", folder / "index.qmd")
    shutil.copyfile(ROOT / "manuscript" / "_quarto.yml", folder / "_quarto.yml")
    return document_metadata(folder, "pdf")


def test_affiliations_in_every_format(outputs: dict[str, Path]) -> None:
    markup = outputs["html"].read_text(encoding="utf-8")
    assert re.search(r'<p class="author">Åsa Åkerblom<br />\s*<em>Example University</em>', markup)
    assert "Example University" in page_texts(outputs["pdf"])[0]
    paragraphs = [p.text for p in docx.Document(str(outputs["docx"])).paragraphs[:5]]
    assert any("Åsa Åkerblom" in p and "Example University" in p for p in paragraphs)


# ----------------------------------------------------------------- references (APA 7)


def citeproc_plain(bib: str, keys: list[str], tmp_path: Path) -> str:
    (tmp_path / "refs.bib").write_text(bib, encoding="utf-8")
    shutil.copyfile(ROOT / "manuscript" / "apa.csl", tmp_path / "apa.csl")
    cites = "; ".join(f"@{key}" for key in keys)
    source = f"---\nbibliography: refs.bib\ncsl: apa.csl\n---\n\n[{cites}]\n"
    done = subprocess.run(  # noqa: S603 - the pinned pandoc
        [_pandoc_executable(), "--citeproc", "-t", "plain", "--wrap=none"],
        input=source.encode(),
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    return done.stdout.decode("utf-8")


def test_thesis_reference_is_a_doctoral_dissertation(tmp_path: Path) -> None:
    bib = (ROOT / "manuscript" / "references.bib").read_text(encoding="utf-8")
    text = citeproc_plain(bib, ["akerblom2024thesis"], tmp_path)
    assert "[Doctoral dissertation, Western Norway University of Applied Sciences]" in text
    assert "PhD thesis" not in text


def test_bibliography_lists_all_authors_up_to_twenty(tmp_path: Path) -> None:
    def entry(key: str, n: int) -> str:
        names = " and ".join(f"Author{i:02d}, Given" for i in range(1, n + 1))
        return (
            f"@article{{{key}, author = {{{names}}}, title = {{T {n}}}, journal = {{J}}, "
            f"year = {{2020}}, doi = {{10.5555/x.{n}}}}}\n"
        )

    text = citeproc_plain(entry("ten", 10), ["ten"], tmp_path)
    ten = next(line for line in text.splitlines() if "T 10" in line)
    assert "et al." not in ten and "Author10, G." in ten and "& Author10" in ten
    assert "(Author01 et al., 2020)" in text  # et al. belongs in the citation only
    text = citeproc_plain(entry("many", 22), ["many"], tmp_path)
    many = next(line for line in text.splitlines() if "T 22" in line)
    assert re.search(r"Author19, G\., (…|\. \. \.) Author22, G\.", many), many
    assert "Author20" not in many


# ----------------------------------------------------------------- figures


def test_grouped_bar_legend_is_outside_the_axes() -> None:
    from analysis.figures import grouped_bars

    table = pd.DataFrame({"Managers": [5, 9], "Peer workers": [9, 2]}, index=["Theme A", "B"])
    figure = grouped_bars(table, "Meaning units by group", ylabel="Meaning units")
    figure.canvas.draw()
    axes = figure.axes[0]
    legend = axes.get_legend().get_window_extent()
    assert legend.x0 >= axes.get_window_extent().x1  # right of the plotting area
