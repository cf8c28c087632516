"""Word counts of main text (analysis.render.wordcount, recorded by analysis.provenance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import provenance
from analysis.render import RenderError
from analysis.render.wordcount import count_words, main_text, word_count

FIXTURE = Path(__file__).parent / "fixtures" / "render"

DOCUMENT = """---
title: "A title of six words here"
abstract: |
  An abstract that is not counted at all.
---

# Introduction {#sec-intro}

One two three [@smith2020; @jones2021] four.

| Role | n |
|:-----|--:|
| Peer | 3 |

: A caption that is not counted {#tbl-x}

{{< include tables/big.md >}}

![A figure caption not counted](figures/x.svg){#fig-x}

::: {.callout-note}
We saw {{< var study.n >}} workers.
:::

```{=typst}
#pagebreak()
```

<!-- a comment not counted -->

# References {.unnumbered}

::: {#refs}
:::

# Appendix: checklist {.appendix}

Many appendix words that are not counted.
"""


def test_main_text_excludes_tables_captions_figures_references_and_appendices() -> None:
    text = main_text(DOCUMENT.split("---\n", 2)[2])
    assert "caption" not in text and "Peer" not in text and "appendix" not in text.lower()
    assert "smith2020" not in text and "comment" not in text


def test_word_count_counts_headings_prose_and_filled_values() -> None:
    # Introduction (1) + One two three four (4) + We saw 12 workers (4)
    assert word_count(DOCUMENT, {"study": {"n": 12}}) == 9


def test_word_count_unknown_variable_names_the_key() -> None:
    with pytest.raises(RenderError, match=r"index\.qmd:\d+: unknown variable 'study\.n'"):
        word_count(DOCUMENT, {})


def test_count_words_keeps_hyphenated_words_and_numbers_whole() -> None:
    assert count_words("co-production in 2024, the service-user's view — 58%") == 7


def test_provenance_word_counts_per_document_sorted() -> None:
    qmd = (FIXTURE / "index.qmd").read_text(encoding="utf-8")
    variables = {"study": {"name": "X", "n_workers": 12, "share_women": "58%"}}
    counts = provenance.word_counts({"thesis": qmd, "article1": qmd + "\nTwo more.\n"}, variables)
    assert list(counts) == ["article1", "thesis"]
    assert counts["article1"] == counts["thesis"] + 2
    assert 30 < counts["thesis"] < 80  # the fixture's two short sections
