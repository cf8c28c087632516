"""The thesis summary (kappe): its chapters, list of papers, sammendrag and length.

An article-based Norwegian thesis summary has a fixed anatomy (front matter, list of papers,
introduction ... conclusion, a Norwegian summary) and is several times the length of an
article. These tests read the rendered documents of the session build, so they check what a
reader gets, and the Norwegian formatting the sammendrag relies on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from docx import Document
from pypdf import PdfReader

from analysis import assemble, norwegian
from analysis.categories import ROLE_CATEGORIES, STAGES

#: Section ids a thesis summary must have: front matter, list of papers, the chapters, the
#: parts of the methodology chapter the issue names, and the Norwegian summary.
CHAPTERS = {
    "sec-front-matter": "Front matter",
    "sec-papers": "List of papers",
    "sec-introduction": "Introduction",
    "sec-background": "Background",
    "sec-framework": "Theoretical framework",
    "sec-aims": "Aims and research questions",
    "sec-methods": "Methodology",
    "sec-methods-design": "Design",
    "sec-methods-review": "Paper I",
    "sec-methods-managers": "Paper II",
    "sec-methods-three": "Paper III",
    "sec-ethics": "Ethical considerations",
    "sec-user-involvement": "User involvement and the peer co-researcher",
    "sec-position": "Researcher position",
    "sec-methods-trustworthiness": "Trustworthiness",
    "sec-results": "Results: summary of the papers",
    "sec-synthesis": "Cross-study synthesis",
    "sec-discussion": "Discussion",
    "sec-implications": "Implications",
    "sec-limitations": "Strengths and limitations",
    "sec-conclusion": "Conclusion",
    "sec-sammendrag": "Sammendrag",
}
DOIS = ("10.1007/s10488-022-01242-x", "10.1186/s13033-023-00588-5", "10.1080/14719037.2024.2397471")
MIN_WORDS = 10_000
WORD = re.compile(r"\w[\w'’-]*")


def main_text(html: str) -> str:
    """The text a reader counts as the thesis's main text.

    The numbered chapters (front matter, list of papers, references and appendices are
    unnumbered) except the Norwegian summary, without tables, figures and citations.
    """
    soup = BeautifulSoup(html, "html.parser")
    parts = []
    for section in soup.select("section.level1"):
        if "unnumbered" in section.get("class", []) or section.get("id") == "sec-sammendrag":
            continue
        for tag in section.select("table, figure, .citation"):
            tag.decompose()
        parts.append(section.get_text(" "))
    return " ".join(parts)


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def test_main_text_leaves_out_tables_references_and_appendices() -> None:
    html = """<body><nav id="TOC">contents list words</nav>
      <section id="sec-a" class="level1"><h1>One</h1><p>two three
        <span class="citation">(Author, 2020)</span></p>
        <table><tr><td>table words here</td></tr></table>
        <figure><figcaption>figure words</figcaption></figure></section>
      <section id="sec-sammendrag" class="level1"><h1>Sammendrag</h1><p>norske ord</p></section>
      <section id="references" class="level1 unnumbered"><p>Ref one. Ref two.</p></section>
      <section id="sec-appendix-x" class="level1 unnumbered"><p>appendix words</p></section>
    </body>"""
    assert main_text(html).split() == ["One", "two", "three"]
    assert count_words("Peer workers' roles, co-creation — x") == 5


def test_norwegian_counts_are_words_up_to_twelve_and_digits_above() -> None:
    assert [norwegian.norwegian_count(n) for n in (1, 3, 4, 10, 12)] == [
        "én",
        "tre",
        "fire",
        "ti",
        "tolv",
    ]
    assert norwegian.norwegian_count(17) == "17"
    assert norwegian.norwegian_count(13178) == "13\u00a0178"


def test_norwegian_variables_get_words_and_norwegian_terms() -> None:
    nb = norwegian.norwegian(
        {
            "study1": {
                "databases": "10",
                "screened": "13,178",
                "most_common_role": "providers of peer support",
                "name": "Medline",
            },
            "synthesis": {"top_stage": "co-delivery", "pct": "12.5"},
        }
    )
    assert nb["study1"]["databases_words"] == "ti"
    assert nb["study1"]["screened_words"] == "13\u00a0178"
    assert nb["study1"]["most_common_role"] == "ytere av likepersonsstøtte"
    assert nb["study1"]["name"] == "Medline"
    assert nb["synthesis"] == {"top_stage": "felles tjenesteyting", "pct": "12,5"}


def test_every_role_category_and_stage_has_a_norwegian_term() -> None:
    english = {assemble.ROLE_LABELS[r] for r in ROLE_CATEGORIES} | set(STAGES)
    assert set(norwegian.NB_TERMS) == english
    assert all(term and term not in english for term in norwegian.NB_TERMS.values())


# ------------------------------------------------------------------- the rendered thesis


@pytest.fixture(scope="module")
def thesis_html(built: Path) -> str:
    return (built / "results/manuscripts/thesis.html").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_thesis_has_every_chapter_and_a_contents_list(thesis_html: str) -> None:
    soup = BeautifulSoup(thesis_html, "html.parser")
    assert soup.select_one("nav#TOC"), "the thesis keeps a contents list"
    for sid, title in CHAPTERS.items():
        section = soup.find("section", id=sid)
        assert section is not None, f"no section {sid} ({title})"
        heading = section.find(re.compile(r"h[1-6]"))
        assert title in heading.get_text(" "), (sid, heading.get_text(" "))
    assert "?var" not in thesis_html and "{{<" not in thesis_html


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_list_of_papers_names_papers_i_to_iii_with_their_dois(
    thesis_html: str, built: Path
) -> None:
    papers = BeautifulSoup(thesis_html, "html.parser").find("section", id="sec-papers")
    text = " ".join(papers.get_text(" ").split())
    for numeral, doi in zip(("Paper I.", "Paper II.", "Paper III."), DOIS, strict=True):
        assert numeral in text
        assert papers.find("a", href=f"https://doi.org/{doi}"), doi
    pdf = "".join(
        p.extract_text() for p in PdfReader(built / "results/manuscripts/thesis.pdf").pages
    ).replace("\n", "")
    docx = " ".join(
        p.text for p in Document(str(built / "results/manuscripts/thesis.docx")).paragraphs
    )
    for doi in DOIS:
        assert doi in pdf and doi in docx, doi


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_sammendrag_is_norwegian_with_norwegian_terms_and_words(
    thesis_html: str, built: Path
) -> None:
    section = BeautifulSoup(thesis_html, "html.parser").find("section", id="sec-sammendrag")
    body = section.find("div", lang="nb")
    assert body is not None, "the sammendrag is marked as Norwegian (lang=nb)"
    text = " ".join(body.get_text(" ").split())
    assert count_words(text) >= 500
    for term in (
        "samproduksjon",
        "samskaping",
        "erfaringsmedarbeider",
        *(norwegian.NB_ROLES[r] for r in ROLE_CATEGORIES),
    ):
        assert term in text, term
    variables = yaml.safe_load((built / "results/render/_variables.yml").read_text("utf-8"))
    databases = norwegian.norwegian_count(int(variables["study1"]["databases"]))
    assert databases.isalpha(), "the number of databases is small enough to be a word"
    assert f"{databases} databaser" in text
    assert not re.search(r"\d,\d{3}", text), "English thousands separator in the sammendrag"


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_main_text_has_at_least_ten_thousand_words(thesis_html: str) -> None:
    words = count_words(main_text(thesis_html))
    assert words >= MIN_WORDS, f"thesis main text has {words} words, fewer than {MIN_WORDS}"
