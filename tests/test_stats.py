"""Statistics checked against values worked out by hand or by the textbook formula."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import stats


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(107, 172), (14, 172), (0, 17), (17, 17), (3, 10)])
def test_wilson_matches_the_formula(k: int, n: int) -> None:
    lo, hi = stats.wilson(k, n)
    elo, ehi = wilson_by_hand(k, n)
    assert lo == pytest.approx(elo, abs=1e-4) and hi == pytest.approx(ehi, abs=1e-4)


def test_with_wilson_adds_percent_intervals() -> None:
    out = stats.with_wilson(pd.DataFrame({"n": [3], "total": [10]}))
    assert (out["ci_low"].item(), out["ci_high"].item()) == (10.8, 60.3)


def test_any_cocreation_flags_early_stages() -> None:
    flags = stats.any_cocreation(
        pd.Series(["co-delivery", "co-design;co-delivery", "co-commissioning"]),
        ("co-commissioning", "co-design"),
    )
    assert flags.tolist() == [0, 1, 1]


def test_logistic_trend_recovers_an_increasing_trend() -> None:
    rng = np.random.default_rng(1)
    years = pd.Series(rng.integers(1995, 2021, size=400))
    p = 1 / (1 + np.exp(-(-2 + 0.2 * (years - 2008))))
    involved = pd.Series((rng.random(400) < p).astype(int))
    res = stats.logistic_trend(years, involved)
    assert res["converged"] and res["n"] == 400
    assert res["or_low"] < math.exp(0.2) < res["or_high"]
    assert res["p_value"] < 0.001
