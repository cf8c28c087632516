"""The synthetic charting sheet respects the review's definition of co-creation.

Co-creation = peer workers take part in an early phase of the service cycle (co-commissioning
or co-design) *and then* in implementing or delivering the solution (co-delivery). A row
charted as "co-creation partner" without both would contradict its own category.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from analysis import synthetic, synthetic_study1
from analysis.io import read_csv
from tests.conftest import REPO

SHEET = REPO / "data" / "synthetic" / "study1" / "extraction.csv"


@pytest.fixture(scope="module")
def params() -> tuple[dict, dict]:
    return synthetic.load_parameters(
        REPO / "config/synthetic.yaml", REPO / "config/synthetic-codebooks.yaml"
    )


def _partners(sheet: pd.DataFrame) -> pd.DataFrame:
    partners = sheet[sheet["role_category"] == "co-creation partner"]
    assert len(partners) > 0, "the sheet has no partners in co-creation to check"
    return partners


def _assert_definition(sheet: pd.DataFrame) -> None:
    for row in _partners(sheet).itertuples(index=False):
        stages = set(row.stages.split("; "))
        assert stages & {"co-commissioning", "co-design"}, f"{row.article_id}: no early stage"
        assert "co-delivery" in stages, f"{row.article_id}: no co-delivery"
    assert synthetic_study1.cocreation_violations(sheet) == []


def test_committed_sheet_respects_the_definition() -> None:
    _assert_definition(read_csv(SHEET))


def test_generated_sheet_respects_the_definition(params: tuple[dict, dict]) -> None:
    _assert_definition(synthetic.generate(*params).tables["study1/extraction.csv"])


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_definition_holds_for_other_seeds(params: tuple[dict, dict], seed: int) -> None:
    """Not a property of one lucky seed: the generator builds it in."""
    p = copy.deepcopy(params[0])
    p["seed"] = seed
    _assert_definition(synthetic.generate(p, params[1]).tables["study1/extraction.csv"])


def test_a_violation_is_reported_with_row_and_article() -> None:
    sheet = pd.DataFrame(
        {
            "article_id": ["S1-001", "S1-002", "S1-003"],
            "role_category": ["peer support", "co-creation partner", "co-creation partner"],
            "stages": ["co-delivery", "co-commissioning; co-design", "co-delivery; co-assessment"],
        }
    )
    problems = synthetic_study1.cocreation_violations(sheet)
    assert len(problems) == 2
    assert problems[0].startswith("row 3 (S1-002)") and "co-delivery" in problems[0]
    assert problems[1].startswith("row 4 (S1-003)") and "early stage" in problems[1]


@pytest.mark.parametrize(
    "stages",
    [
        {"co-commissioning": 0.5, "co-design": 0.8},
        {"co-commissioning": 0.5, "co-design": 0.8, "co-assessment": 0.4, "co-delivery": 0.9},
    ],
)
def test_co_delivery_cannot_be_made_optional(params: tuple[dict, dict], stages: dict) -> None:
    p = copy.deepcopy(params[0])
    p["study1"]["cocreation_stages"] = stages
    with pytest.raises(ValueError, match="cocreation_stages"):
        synthetic.generate(p, params[1])
