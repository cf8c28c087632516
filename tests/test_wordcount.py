"""Word counts of main text (analysis.render.wordcount), recorded beside each staged document."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis.render import RenderError
from analysis.render.stage import write_word_count
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


def test_staged_word_count_record(tmp_path: Path) -> None:
    folder = shutil.copytree(FIXTURE, tmp_path / "article1")
    words = write_word_count(folder, "article1")
    record = json.loads((folder / "wordcount.json").read_text(encoding="utf-8"))
    assert record["document"] == "article1" and record["words_main_text"] == words
    assert 30 < words < 80  # the fixture's two short sections
    with (folder / "index.qmd").open("a", encoding="utf-8") as qmd:
        qmd.write("\nTwo more.\n")
    assert write_word_count(folder, "article1") == words + 2
