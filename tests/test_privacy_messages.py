"""Nothing unmasked anywhere: the claims check quotes computed values only masked (issue 11).

A claim's computed value comes from the data (a database label, a theme name), so a mismatch
message or the rule's log could otherwise print input text in full. Plain numbers (the
aggregates claims compare) stay readable.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from analysis.claims import ClaimError, ClaimMismatch, claims_step, shown
from analysis.io import write_yaml

SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/claims.schema.json"
SECRET = "Kari Nordmann 41234567"


def test_mismatch_message_masks_text_but_not_counts() -> None:
    error = ClaimMismatch([("s1-db", "PubMed", SECRET), ("s1-n", "13179", "13178")])
    text = str(error)
    assert "Kari" not in text and "Nordmann" not in text and "4123" not in text
    assert "s1-n: published '13179', computed '13178'" in text
    assert "s1-db: published 'PubMed', computed 'K" in text


@pytest.mark.parametrize("value", [SECRET, "15108695088", "kari@uib.no", "Åse Kjærstad"])
def test_shown_never_repeats_input_text(value: str) -> None:
    assert value not in shown(value)
    assert not any(ch.isdigit() for ch in shown(value))


def test_claims_step_log_and_error_are_masked(tmp_path: Path, caplog) -> None:
    (tmp_path / "results").mkdir()
    pd.DataFrame({"stage": ["identified_database"], "item": [SECRET], "n": [3]}).to_csv(
        tmp_path / "results/t.csv", index=False
    )
    claim = {
        "id": "s1-db",
        "source": "10.1000/xyz",
        "location": "article 1, Figure 1",
        "statement": "The databases searched.",
        "published": "PubMed",
        "compute": {"output": "results/t.csv", "op": "value", "col": "item",
                    "where": {"stage": "identified_database"}},
    }  # fmt: skip
    write_yaml({"claims": [claim]}, tmp_path / "claims.yaml")
    inp = {"claims": str(tmp_path / "claims.yaml"), "schema": str(SCHEMA)}
    out = {"csv": str(tmp_path / "v/claims.csv"), "report": str(tmp_path / "v/report.html")}
    with caplog.at_level(logging.INFO), pytest.raises(ClaimMismatch) as err:
        claims_step(inp, out, exploratory=False, root=tmp_path)
    for text in (str(err.value), caplog.text):
        assert "Kari" not in text and "4123" not in text
    assert "s1-db" in caplog.text


def test_claim_error_masks_the_value() -> None:
    from analysis.claims import _number

    with pytest.raises(ClaimError) as err:
        _number(SECRET, "column n")
    assert "Kari" not in str(err.value)
