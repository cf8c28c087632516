"""The four built documents carry the published record exactly (issue #10's acceptance).

Titles and author keywords are copied from the published articles and the thesis record
(``published-facts.md`` of the project's shared reference); each article must show them
verbatim in HTML and DOCX, and carry the statements a journal requires.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import docx
import pytest

pytestmark = pytest.mark.xdist_group("build")

ARTICLES = {
    "article1": (
        "Peer workers in co-production and co-creation in mental health and substance use "
        "services: A scoping review",
        "Peer workers; Mental health and substance use services; Co-production; Co-creation; "
        "Service transformation; Boundary spanning",
    ),
    "article2": (
        "Managers as peer workers' allies: A qualitative study of managers' perceptions and "
        "actions to involve peer workers in Norwegian mental health and substance use services",
        "Peer workers; Management; Mental health and substance use services; Service "
        "transformation; Boundary-spanning; Co-creation; Qualitative study",
    ),
    "article3": (
        "Empowered service users: peer workers co-production in Norwegian mental health and "
        "substance use services",
        "Co-production; peer workers; mental health and substance use services; knowledge "
        "mobilization; user involvement",
    ),
}
THESIS_TITLE = "Creating impactful peer worker co-production roles"
# The statements a journal requires, as headings (wording varies by journal).
APPARATUS = {
    "ethics": r"Ethics",
    "funding": r"Funding",
    "competing interests": r"Competing interests",
    "author contributions": r"Author contributions",
    "data availability": r"Data availability|Availability of data",
}


def _text(raw: str) -> str:
    """Visible text of an HTML page, with curly quotes straightened and spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def _headings(raw: str) -> list[str]:
    return [_text(h) for h in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", raw, flags=re.S)]


@pytest.mark.parametrize("doc", sorted(ARTICLES))
def test_article_shows_its_published_title_keywords_and_apparatus(built: Path, doc: str) -> None:
    title, keywords = ARTICLES[doc]
    raw = (built / "results" / "manuscripts" / f"{doc}.html").read_text(encoding="utf-8")
    text = _text(raw)
    assert title in text, f"{doc}: the published title is not printed exactly"
    assert keywords in text, f"{doc}: the published keywords are not printed exactly"
    headings = _headings(raw)
    missing = [
        name
        for name, pattern in APPARATUS.items()
        if not any(re.search(pattern, h) for h in headings)
    ]
    assert not missing, f"{doc}: no section for {missing}"
    words = " ".join(
        p.text
        for p in docx.Document(str(built / "results" / "manuscripts" / f"{doc}.docx")).paragraphs
    )
    words = re.sub(r"\s+", " ", words.replace("\u2019", "'"))
    assert title in words and keywords in words, f"{doc}: DOCX lacks the title or keywords"


def test_thesis_shows_its_recorded_title(built: Path) -> None:
    raw = (built / "results" / "manuscripts" / "thesis.html").read_text(encoding="utf-8")
    assert THESIS_TITLE in _text(raw)


def test_a_changed_keyword_would_be_caught() -> None:
    page = "<p><strong>Keywords:</strong> Peer workers; Management</p>"
    assert "Peer workers; Management" in _text(page)
    assert ARTICLES["article2"][1] not in _text(page)
