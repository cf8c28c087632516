"""The landing page results/index.html (analysis.render.landing): unit and end-to-end."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis.render import BANNER_TEXT
from analysis.render.landing import claim_counts, document_title, landing_step

ROOT = Path(__file__).parents[1]
DOCUMENTS = ["article1", "article2", "article3", "thesis"]
FORMATS = ["html", "pdf", "docx"]
NOTEBOOKS = ["study1", "study2", "study3", "synthesis"]


class Links(HTMLParser):
    """Every href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value for name, value in attrs if name == "href" and value]


def hrefs(page: str) -> list[str]:
    parser = Links()
    parser.feed(page)
    return parser.hrefs


def write_inputs(folder: Path, statuses: list[str]) -> dict[str, object]:
    folder.mkdir(parents=True, exist_ok=True)
    claims = folder / "claims.csv"
    rows = "".join(f"c{i},src,1,1,{s}\n" for i, s in enumerate(statuses))
    claims.write_text("claim_id,source,published,computed,status\n" + rows, encoding="utf-8")
    record = folder / "provenance.json"
    record.write_text(json.dumps({"code_version": "sha256:abc"}), encoding="utf-8")
    staged = []
    for number, doc in enumerate(DOCUMENTS):
        target = folder / "render" / doc
        target.mkdir(parents=True)
        shutil.copyfile(ROOT / "manuscript" / doc / "index.qmd", target / "index.qmd")
        words = 4321 if doc == "article2" else number
        (target / "wordcount.json").write_text(json.dumps({"words_main_text": words}))
        staged.append(str(target))
    return {"staged": staged, "claims": str(claims), "provenance": str(record)}


def make_page(tmp_path: Path, statuses: list[str], *, synthetic: bool) -> str:
    inp = write_inputs(tmp_path, statuses)
    target = tmp_path / "results" / "index.html"
    landing_step(
        inp,
        {"page": str(target)},
        documents=DOCUMENTS,
        formats=FORMATS,
        notebooks=NOTEBOOKS,
        synthetic=synthetic,
    )
    return target.read_text(encoding="utf-8")


def test_page_links_every_document_format_notebook_and_record(tmp_path: Path) -> None:
    page = make_page(tmp_path, ["match"] * 5, synthetic=True)
    links = hrefs(page)
    for doc in DOCUMENTS:
        for fmt in FORMATS:
            assert f"manuscripts/{doc}.{fmt}" in links
        assert html.escape(document_title(ROOT / "manuscript" / doc / "index.qmd")) in page
    for nb in NOTEBOOKS:
        assert f"notebooks/{nb}.html" in links
    for record in (
        "report.html",
        "verify/claims.csv",
        "verify/report.html",
        "render/provenance.json",
    ):
        assert record in links
    assert "make verify" in page and "results.sha256" in page
    assert "All 5 published facts were reproduced." in page and "<li>match: 5</li>" in page
    assert re.search(r'class="number">4,321<', page)  # article2's word count
    assert page.count(html.escape(BANNER_TEXT)) == 1
    assert not any(link.startswith(("http:", "https:", "/")) for link in links)


def test_page_reports_mismatches_and_has_no_banner_or_report_when_private(
    tmp_path: Path,
) -> None:
    page = make_page(tmp_path, ["match", "mismatch", "match"], synthetic=False)
    assert "2 of 3 published facts were reproduced." in page
    assert "<li>mismatch: 1</li>" in page
    assert BANNER_TEXT not in page and "SYNTHETIC" not in page
    assert "report.html" not in hrefs(page)  # private runs get no Snakemake report


def test_page_is_deterministic(tmp_path: Path) -> None:
    first = make_page(tmp_path / "a", ["match"], synthetic=True)
    second = make_page(tmp_path / "b", ["match"], synthetic=True)
    assert first == second


def test_claim_counts_sorted_by_status(tmp_path: Path) -> None:
    write_inputs(tmp_path, ["mismatch", "match", "match"])
    assert claim_counts(tmp_path / "claims.csv") == {"match": 2, "mismatch": 1}


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_built_landing_page_links_resolve(built: Path) -> None:
    results = built / "results"
    page = (results / "index.html").read_text(encoding="utf-8")
    for link in hrefs(page):
        assert (results / link).is_file(), link
    for doc in DOCUMENTS:
        record = json.loads((results / "render" / doc / "wordcount.json").read_text())
        assert f'class="number">{record["words_main_text"]:,}<' in page, doc
