"""Tests for the document render engine (the analysis/render package).

Real pandoc and real typst, no mocks: the point of the engine is that these
tools, driven by our Lua filters, reproduce what Quarto would produce.  The
fixture project in tests/fixtures/render is copied to a temporary folder for
every test that changes it, with the APA CSL shipped in manuscript/.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest

from analysis import render
from analysis.render import BANNER_TEXT, RenderError

FIXTURE = Path(__file__).parent / "fixtures" / "render"
TITLE = "Peer workers in the Peer Work Fixture Study"


def stage(destination: Path) -> Path:
    """A fresh, complete staged project folder (fixture + APA CSL)."""
    shutil.copytree(FIXTURE, destination)
    shutil.copyfile(Path(__file__).parents[1] / "manuscript" / "apa.csl", destination / "apa.csl")
    return destination


def plain(text: str) -> str:
    """Whitespace-normalised text (pandoc/typst use no-break spaces in 'Figure 1')."""
    return " ".join(text.split())


def html_text(markup: str) -> str:
    return plain(html.unescape(re.sub(r"<[^>]+>", "", markup)))


def pdf_text(path: Path) -> tuple[int, str]:
    reader = pypdf.PdfReader(path)
    return len(reader.pages), plain(" ".join(page.extract_text() for page in reader.pages))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage(tmp_path_factory.mktemp("staged") / "article")


@pytest.fixture(scope="module")
def outputs(project: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthetic renders of the fixture in all three formats."""
    out = tmp_path_factory.mktemp("out")
    return {
        fmt: render.render(project, out / f"article.{fmt}", fmt, synthetic=True, engine="pandoc")
        for fmt in render.FORMATS
    }


@pytest.fixture(scope="module")
def real_outputs(project: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Non-synthetic renders."""
    out = tmp_path_factory.mktemp("real")
    return {
        fmt: render.render(project, out / f"article.{fmt}", fmt, synthetic=False, engine="pandoc")
        for fmt in render.FORMATS
    }


# ----------------------------------------------------------------- shortcodes


VARIABLES = {"study": {"name": "Fixture", "n": 12, "flag": True, "nested": {"k": "v"}}}


def test_find_shortcodes_reports_lines_and_arguments() -> None:
    text = "a\n{{< var study.n >}}\nb {{< include 'tables/x y.md' >}} {{{< var raw >}}}\n"
    codes = render.find_shortcodes(text, first_line=10)
    assert [(c.name, c.arguments, c.line, c.escaped) for c in codes] == [
        ("var", ("study.n",), 11, False),
        ("include", ("tables/x y.md",), 12, False),
        ("var", ("raw",), 12, True),
    ]


def test_expand_var_include_escape_and_pagebreak(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "outer.md").write_text("outer {{< include inner.md >}}\n")
    (tmp_path / "tables" / "inner.md").write_text("inner n={{< var study.n >}}")
    text = (
        "{{< var study.name >}} {{< var study.flag >}}\n"
        "{{< include tables/outer.md >}}\n"
        "literal {{{< var study.n >}}}\n"
        "{{< pagebreak >}}\n"
    )
    expanded = render.expand_shortcodes(text, VARIABLES, tmp_path, "index.qmd")
    assert expanded.startswith("Fixture true\nouter inner n=12\n")
    assert "literal {{< var study.n >}}" in expanded
    assert "#pagebreak()" in expanded and 'w:type="page"' in expanded


def test_unknown_variable_names_file_line_and_key(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"index\.qmd:3: unknown variable 'study\.missing'"):
        render.expand_shortcodes(
            "a\nb\nc {{< var study.missing >}}", VARIABLES, tmp_path, "index.qmd"
        )
    with pytest.raises(RenderError, match=r"variable 'study\.nested' is a dict"):
        render.expand_shortcodes("{{< var study.nested >}}", VARIABLES, tmp_path, "index.qmd")


def test_missing_include_names_path_also_when_nested(tmp_path: Path) -> None:
    with pytest.raises(
        RenderError, match=r"index\.qmd:2: included file 'tables/none\.md' not found"
    ):
        render.expand_shortcodes("\n{{< include tables/none.md >}}", {}, tmp_path, "index.qmd")
    (tmp_path / "part.md").write_text("x\n\n{{< var nope >}}\n")
    with pytest.raises(
        RenderError, match=r"part\.md:3 \(included from index\.qmd:1\): unknown variable 'nope'"
    ):
        render.expand_shortcodes("{{< include part.md >}}", {}, tmp_path, "index.qmd")


def test_include_cycle_and_unknown_shortcode_and_code_cells(tmp_path: Path) -> None:
    (tmp_path / "loop.md").write_text("{{< include loop.md >}}")
    with pytest.raises(RenderError, match="includes itself"):
        render.expand_shortcodes("{{< include loop.md >}}", {}, tmp_path, "index.qmd")
    with pytest.raises(RenderError, match=r"index\.qmd:1: unsupported shortcode 'video'"):
        render.expand_shortcodes("{{< video x.mp4 >}}", {}, tmp_path, "index.qmd")
    with pytest.raises(RenderError, match=r"index\.qmd:2: executable code cell \{python\}"):
        render.expand_shortcodes("a\n```{python}\n1\n```\n", {}, tmp_path, "index.qmd")
    with pytest.raises(RenderError, match=r"index\.qmd:1: executable code cell \{r\}"):
        render.expand_shortcodes("n = `{r} nrow(x)`", {}, tmp_path, "index.qmd")


def test_metadata_merge_document_wins_and_format_options_apply() -> None:
    project = {"lang": "en", "csl": "apa.csl", "format": {"typst": {"papersize": "a4"}}}
    document = {"lang": "sv", "title": "T", "format": {"html": {"toc": True}}}
    assert render.merge_metadata(project, document, "pdf") == {
        "lang": "sv",
        "csl": "apa.csl",
        "papersize": "a4",
        "title": "T",
    }
    assert render.merge_metadata(project, document, "html")["toc"] is True


# ----------------------------------------------------------------- HTML


def test_html_banner_crossrefs_figure_and_citations(outputs: dict[str, Path]) -> None:
    markup = outputs["html"].read_text(encoding="utf-8")
    banner = re.search(
        r'<div class="synthetic-banner"[^>]*style="([^"]*)"[^>]*>([^<]*)</div>', markup
    )
    assert banner is not None
    assert "background:#fff3b0" in banner.group(1) and "font-weight:bold" in banner.group(1)
    assert html.unescape(banner.group(2)) == BANNER_TEXT
    assert markup.index("synthetic-banner") < markup.index('id="title-block-header"')

    links = {
        target: plain(html.unescape(text))
        for target, text in re.findall(
            r'<a href="#([\w-]+)" class="quarto-xref">([^<]*)</a>', markup
        )
    }
    assert links == {
        "tbl-workers": "Table 1",
        "fig-contacts": "Figure 1",
        "sec-intro": "Section “Introduction”",
    }
    assert re.search(r'<table id="tbl-workers">\s*<caption>Table\xa01: Peer workers', markup)
    assert re.search(
        r'<figure id="fig-contacts">\s*<img[^>]*src="data:image/svg\+xml;base64,', markup
    )
    assert "Figure\xa01: Monthly contacts" in markup

    text = html_text(markup)
    assert "(Åkerblom & Ness, 2023)" in text
    assert "Repper & Carter (2011)" in text
    assert "?)" not in text and "fig-contacts" not in text
    entry = re.search(
        r'<div id="ref-akerblom2023peer" class="csl-entry"[^>]*>(.*?)</div>', markup, re.S
    )
    assert entry is not None
    assert "https://doi.org/10.5555/fixture.2023.001" in entry.group(1)
    assert "We followed 12 peer workers, 58% of them women" in text


def test_html_is_self_contained(outputs: dict[str, Path]) -> None:
    markup = outputs["html"].read_text(encoding="utf-8")
    assert re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?:', markup) is None
    assert "figures/contacts" not in markup
    assert "border-collapse" in markup  # the embedded CSS


# ----------------------------------------------------------------- PDF


def test_pdf_has_title_banner_and_crossrefs(outputs: dict[str, Path]) -> None:
    pages, text = pdf_text(outputs["pdf"])
    assert pages >= 1
    # the running notice (page header), then the banner above the title on page 1
    assert text.startswith(f"{render.NOTICE_TEXT} {BANNER_TEXT}")
    assert TITLE in text
    assert "Figure 1: Monthly contacts per peer worker." in text
    assert "Table 1: Peer workers by role" in text
    assert "(Åkerblom & Ness, 2023)" in text
    assert "https://doi.org/10.5555/fixture.2023.001" in text
    metadata = pypdf.PdfReader(outputs["pdf"]).metadata
    assert metadata is not None and metadata.title == TITLE


# ----------------------------------------------------------------- DOCX


def test_docx_banner_first_and_png_figure(outputs: dict[str, Path]) -> None:
    document = docx.Document(str(outputs["docx"]))
    assert document.paragraphs[0].text == BANNER_TEXT
    assert document.paragraphs[1].text == TITLE
    assert document.core_properties.title == TITLE
    assert len(document.inline_shapes) == 1
    body = "\n".join(p.text for p in document.paragraphs).replace("\xa0", " ")
    assert "Figure 1: Monthly contacts" in body and "Table 1: Peer workers" in body
    assert "(Åkerblom & Ness, 2023)" in body
    with zipfile.ZipFile(outputs["docx"]) as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
        xml = archive.read("word/document.xml").decode("utf-8")
    assert len(media) == 1 and media[0].endswith(".png")  # raster twin of the SVG
    assert 'w:fill="FFF3B0"' in xml


# ----------------------------------------------------------------- banner off, determinism


def test_no_banner_without_synthetic(real_outputs: dict[str, Path]) -> None:
    markup = real_outputs["html"].read_text(encoding="utf-8")
    assert "synthetic-banner" not in markup and "SYNTHETIC" not in markup
    assert "SYNTHETIC" not in pdf_text(real_outputs["pdf"])[1]
    document = docx.Document(str(real_outputs["docx"]))
    assert document.paragraphs[0].text == TITLE
    assert all("SYNTHETIC" not in p.text for p in document.paragraphs)


def test_renders_are_byte_identical_and_leak_no_paths(
    project: Path, outputs: dict[str, Path], tmp_path: Path
) -> None:
    # Re-render from a second copy at a different path: equal bytes also prove
    # that no staging path or temp-dir name ended up in an output.
    other = stage(tmp_path / "elsewhere" / "copy")
    for fmt, first in outputs.items():
        second = render.render(
            other, tmp_path / f"again.{fmt}", fmt, synthetic=True, engine="pandoc"
        )
        assert first.read_bytes() == second.read_bytes(), fmt
    staged = str(project.parent).encode()
    assert staged not in outputs["html"].read_bytes()
    assert staged not in outputs["pdf"].read_bytes()
    with zipfile.ZipFile(outputs["docx"]) as archive:
        for name in archive.namelist():
            content = archive.read(name)
            assert staged not in content and b"render-aux" not in content, name


def test_source_date_epoch_sets_embedded_timestamps(project: Path, tmp_path: Path) -> None:
    epoch = 1_700_000_000  # 2023-11-14
    out = render.render(
        project,
        tmp_path / "a.docx",
        "docx",
        synthetic=False,
        engine="pandoc",
        source_date_epoch=epoch,
    )
    assert docx.Document(str(out)).core_properties.created.year == 2023
    pdf = render.render(
        project,
        tmp_path / "a.pdf",
        "pdf",
        synthetic=False,
        engine="pandoc",
        source_date_epoch=epoch,
    )
    assert "D:20231114" in str(pypdf.PdfReader(pdf).metadata["/CreationDate"])


def test_numbered_sections(tmp_path: Path) -> None:
    project = stage(tmp_path / "p")
    edit(project / "index.qmd", "abstract: |", "number-sections: true\nabstract: |")
    markup = render.render(project, tmp_path / "n.html", "html", synthetic=False, engine="pandoc")
    text = markup.read_text(encoding="utf-8")
    assert '<a href="#sec-intro" class="quarto-xref">Section\xa01</a>' in text
    assert re.search(r'<span class="header-section-number">2</span>\s*Results', text)
    assert '<h1 class="unnumbered">References</h1>' in text


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{{< var study.n_workers >}} peer",
            "{{< var study.n_nobody >}} peer",
            r"index\.qmd:20: unknown variable 'study\.n_nobody'",
        ),
        (
            "tables/workers.md",
            "tables/absent.md",
            r"index\.qmd:24: included file 'tables/absent\.md' not found",
        ),
        (
            "@fig-contacts;",
            "@fig-absent;",
            r"index\.qmd:21: unknown cross-reference '@fig-absent'.*'fig-absent'",
        ),
        (
            "@repper2011review",
            "@nobody2020",
            r"unknown citation key.*'nobody2020' \(index\.qmd:16\)",
        ),
    ],
    ids=["variable", "include", "crossref", "citation"],
)
@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_errors_name_the_culprit(
    tmp_path: Path, old: str, new: str, message: str, fmt: str
) -> None:
    project = stage(tmp_path / "p")
    edit(project / "index.qmd", old, new)
    with pytest.raises(RenderError, match=message):
        render.render(project, tmp_path / f"x.{fmt}", fmt, synthetic=True, engine="pandoc")


def test_failed_render_keeps_previous_output(tmp_path: Path) -> None:
    project = stage(tmp_path / "p")
    outputs = tmp_path / "out"
    for fmt in render.FORMATS:
        render.render(project, outputs / f"doc.{fmt}", fmt, synthetic=True, engine="pandoc")
    before = {path.name: path.read_bytes() for path in outputs.iterdir()}
    edit(project / "index.qmd", "@repper2011review", "@nobody2020")
    for fmt in render.FORMATS:
        with pytest.raises(RenderError, match="nobody2020"):
            render.render(project, outputs / f"doc.{fmt}", fmt, synthetic=False, engine="pandoc")
    assert {path.name: path.read_bytes() for path in outputs.iterdir()} == before


def test_missing_figure_is_an_error(tmp_path: Path) -> None:
    project = stage(tmp_path / "p")
    (project / "figures" / "contacts.svg").unlink()
    with pytest.raises(RenderError, match="contacts"):
        render.render(project, tmp_path / "x.html", "html", synthetic=False, engine="pandoc")


# ----------------------------------------------------------------- dispatch and CLI


def test_cli_renders_and_reports_errors(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "cli.html"
    args = [str(project), "--to", "html", "--output", str(target), "--engine", "pandoc"]
    assert render.main([*args, "--synthetic"]) == 0
    assert "synthetic-banner" in target.read_text(encoding="utf-8")
    assert render.main([str(tmp_path / "nowhere"), "--to", "pdf", "--output", "x.pdf"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_quarto_engine_requires_quarto(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="quarto is not on PATH"):
        render.render(project, tmp_path / "x.html", "html", synthetic=False, engine="quarto")
    # auto falls back to pandoc + typst
    out = render.render(project, tmp_path / "x.pdf", "pdf", synthetic=False, engine="auto")
    assert out.read_bytes().startswith(b"%PDF")


def test_quarto_branch_command_and_banner_config(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quarto is not installable here; a stand-in executable records what it is asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record.json"
    stand_in = bin_dir / "quarto"
    stand_in.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib, sys\n"
        "args = sys.argv[1:]\n"
        "out = pathlib.Path(args[args.index('--output-dir') + 1])\n"
        "out.mkdir()\n"
        "(out / 'index.html').write_text('<html><body>quarto</body></html>')\n"
        f"pathlib.Path({str(record)!r}).write_text(json.dumps("
        "{'args': args, 'config': pathlib.Path('_quarto.yml').read_text(),"
        " 'filter': pathlib.Path('synthetic_banner.lua').exists()}))\n"
    )
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out = render.render(project, tmp_path / "q.html", "html", synthetic=True, engine="quarto")
    assert out.read_text() == "<html><body>quarto</body></html>"
    seen = json.loads(record.read_text())
    assert seen["args"] == ["render", "index.qmd", "--to", "html", "--output-dir", "_render_out"]
    assert "synthetic_banner.lua" in seen["config"] and "SYNTHETIC DATA" in seen["config"]
    assert "embed-resources: true" in seen["config"] and seen["filter"]
    assert not (project / "_render_out").exists()  # the staged folder is left alone


def test_content_visible_keeps_html_only_blocks_out_of_pdf_and_docx(tmp_path: Path) -> None:
    """Quarto's `.content-visible when-format` divs, honoured by the pandoc engine."""
    project = stage(tmp_path / "p")
    text = (project / "index.qmd").read_text(encoding="utf-8")
    (project / "index.qmd").write_text(
        text + '\n::: {.content-visible when-format="html"}\nOnly-in-HTML marker.\n:::\n\n'
        '::: {.content-hidden when-format="html"}\nNot-in-HTML marker.\n:::\n',
        encoding="utf-8",
    )
    out = {
        fmt: render.render(project, tmp_path / f"a.{fmt}", fmt, synthetic=False, engine="pandoc")
        for fmt in render.FORMATS
    }
    markup = html_text(out["html"].read_text(encoding="utf-8"))
    assert "Only-in-HTML marker." in markup and "Not-in-HTML marker." not in markup
    _, pdf = pdf_text(out["pdf"])
    assert "Only-in-HTML" not in pdf and "Not-in-HTML marker." in pdf
    words = " ".join(p.text for p in docx.Document(str(out["docx"])).paragraphs)
    assert "Only-in-HTML" not in words and "Not-in-HTML marker." in words
