"""What the documents read: number formats, the reliability table.

The STC fragments (condensates, quotations) are tested in tests/test_stc_reporting.py.
"""

from __future__ import annotations

import pandas as pd

from analysis import assemble_stc, norwegian


def test_norwegian_formats_numbers_only() -> None:
    nb = norwegian.norwegian(
        {"n": "13,178", "pct": "12.5", "name": "Medline", "ci": "0.78–0.99", "deep": {"k": "172"}}
    )
    assert nb == {
        "n": "13\u00a0178",
        "n_words": "13\u00a0178",
        "pct": "12,5",
        "name": "Medline",
        "ci": "0.78–0.99",
        "deep": {"k": "172", "k_words": "172"},
    }


def test_reliability_table_marks_undefined_kappa() -> None:
    table = pd.DataFrame(
        {
            "theme": ["T"],
            "subtheme": ["s"],
            "code": ["c"],
            "units": [4],
            "agree_pct": [100.0],
            "cohen_kappa": [None],
            "fleiss_kappa": [None],
            "krippendorff_alpha": [None],
        }
    )
    summary = {
        "coders": ["A", "B"],
        "units_double_coded": 4,
        "cohen_overall": {"coders": ["A", "B"], "kappa": 0.5, "agree_pct": 75.0},
        "fleiss_overall": {"kappa": 0.49},
        "krippendorff_alpha": {"alpha": 0.51},
    }
    text = assemble_stc.reliability_table("s2", table, summary)
    assert "| c | 100.0 | — | — | — |" in text
    assert "| **All code groups (nominal)** | 75.0 | 0.50 | 0.49 | 0.51 |" in text
    assert "{#tbl-s2-reliability}" in text and "Unit of analysis: the meaning unit" in text
