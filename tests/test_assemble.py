"""What the documents read: number formats, quotation blocks, the reliability table."""

from __future__ import annotations

import pandas as pd

from analysis import assemble


def test_norwegian_formats_numbers_only() -> None:
    nb = assemble.norwegian({"n": "13,178", "pct": "12.5", "name": "Medline",
                             "ci": "0.78–0.99", "deep": {"k": "172"}})
    assert nb == {"n": "13\u00a0178", "n_words": "13\u00a0178", "pct": "12,5", "name": "Medline",
                  "ci": "0.78–0.99", "deep": {"k": "172", "k_words": "172"}}


def test_quotation_blocks_mark_synthetic_units_and_state_the_rule() -> None:
    bank = pd.DataFrame({"theme": ["T1", "T1", "T2"], "subtheme": ["a", "b", "c"],
                         "code": ["x", "y", "z"], "units": [3, 1, 2],
                         "quote_label": ["Manager 1, FG1", "Manager 2, FG2", "Peer worker 1"],
                         "text": ["One.", "Two.", "Three."]})
    blocks = assemble.quotation_blocks(bank, "For each subgroup, the median one.", True)
    assert sorted(blocks) == [0, 1, 2]
    assert blocks[0] == ("Quotations were chosen by a fixed rule: for each subgroup, the median"
                         " one.\n")
    assert "> One.\n>\n> — Manager 1, FG1 (synthetic meaning unit)" in blocks[1]
    assert "*b* (1 meaning units; code group *y*)" in blocks[1] and "Three." in blocks[2]
    real = assemble.quotation_blocks(bank, "Rule.", False)
    assert "synthetic" not in real[1]


def test_reliability_table_marks_undefined_kappa() -> None:
    table = pd.DataFrame({"theme": ["T"], "subtheme": ["s"], "code": ["c"], "units": [4],
                          "agree_pct": [100.0], "cohen_kappa": [None], "fleiss_kappa": [None],
                          "krippendorff_alpha": [None]})
    summary = {"coders": ["A", "B"], "units_double_coded": 4,
               "cohen_overall": {"coders": ["A", "B"], "kappa": 0.5, "agree_pct": 75.0},
               "fleiss_overall": {"kappa": 0.49}, "krippendorff_alpha": {"alpha": 0.51}}
    text = assemble.reliability_table("s2", table, summary)
    assert "| c | 100.0 | — | — | — |" in text
    assert "| **All code groups (nominal)** | 75.0 | 0.50 | 0.49 | 0.51 |" in text
    assert "{#tbl-s2-reliability}" in text and "Unit of analysis: the meaning unit" in text
