"""Statistics with statsmodels: intervals, trend model, contingency tests.

Kept apart from the tallies so each number in a manuscript has one producing function. All
results are plain dicts or frames with rounded floats so that JSON outputs are byte-stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # statsmodels and scipy load in the functions that use them (job start-up)
    import pandas as pd

DIGITS = 4


def wilson(count: int, nobs: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval: well-behaved for small counts and proportions near 0 or 1."""
    from statsmodels.stats.proportion import proportion_confint

    if nobs <= 0:
        return (float("nan"), float("nan"))
    lo, hi = proportion_confint(count, nobs, alpha=alpha, method="wilson")
    return (round(float(lo), DIGITS), round(float(hi), DIGITS))


def with_wilson(df: pd.DataFrame, count: str = "n", total: str = "total") -> pd.DataFrame:
    """Add ``ci_low``/``ci_high`` (in percent) for every row's ``count`` of ``total``."""
    ci = [wilson(int(c), int(t)) for c, t in zip(df[count], df[total], strict=True)]
    out = df.copy()
    out["ci_low"] = [round(100 * lo, 1) for lo, _ in ci]
    out["ci_high"] = [round(100 * hi, 1) for _, hi in ci]
    return out


def any_cocreation(stages: pd.Series, early: Sequence[str]) -> pd.Series:
    """1 where an article's ';'-separated stages include an early (co-creation) stage."""
    return stages.map(lambda s: int(any(x.strip() in early for x in str(s).split(";"))))


def logistic_trend(years: pd.Series, involved: pd.Series) -> dict[str, float | int]:
    """Logit of co-creation involvement on publication year (per year, centred).

    Returns the odds ratio per year with its 95% Wald interval and p-value. Year is centred
    on its mean so the intercept is the odds in an average year.
    """
    import pandas as pd
    from statsmodels.discrete.discrete_model import Logit  # lighter than statsmodels.api
    from statsmodels.tools.tools import add_constant

    x = years.astype(float)
    centre = float(x.mean())
    design = add_constant(pd.DataFrame({"year_c": x - centre}))
    model = Logit(involved.astype(float).to_numpy(), design).fit(disp=0, method="newton")
    beta = float(model.params["year_c"])
    lo, hi = (float(v) for v in model.conf_int().loc["year_c"])
    return {
        "n": int(len(x)),
        "events": int(involved.sum()),
        "year_mean": round(centre, 2),
        "odds_ratio": round(float(np.exp(beta)), DIGITS),
        "or_low": round(float(np.exp(lo)), DIGITS),
        "or_high": round(float(np.exp(hi)), DIGITS),
        "p_value": round(float(model.pvalues["year_c"]), DIGITS),
        "converged": bool(model.mle_retvals["converged"]),
    }


def contingency_test(
    table: pd.DataFrame, *, seed: int, n_resamples: int = 20000
) -> dict[str, float | int | str]:
    """Association of rows and columns of a count table.

    Pearson's chi-square from statsmodels; when any expected count is below 5 the asymptotic
    p-value is not trusted and the Fisher–Freeman–Halton exact test is reported instead, its
    p-value estimated by seeded Monte Carlo (an exact enumeration is infeasible for r×c).
    """
    from scipy import stats as sstats
    from statsmodels.stats.contingency_tables import Table

    obs = np.array(table.to_numpy(dtype=float))  # a writable copy
    fitted = Table(obs, shift_zeros=False)  # zeros are data here, not to be smoothed
    chi = fitted.test_nominal_association()
    expected = fitted.fittedvalues
    min_expected = float(np.min(expected))
    result: dict[str, float | int | str] = {
        "chi2": round(float(chi.statistic), DIGITS),
        "df": int(chi.df),
        "p_chi2": round(float(chi.pvalue), DIGITS),
        "min_expected": round(min_expected, 2),
        "n": int(obs.sum()),
    }
    if min_expected < 5:
        method = sstats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
        res = sstats.fisher_exact(obs.astype(int), method=method)
        result.update(test="Fisher–Freeman–Halton (Monte Carlo)", p_value=round(float(
            res.pvalue), DIGITS), n_resamples=n_resamples)
    else:
        result.update(test="Pearson chi-square", p_value=result["p_chi2"], n_resamples=0)
    return result
