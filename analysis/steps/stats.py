"""Steps of ``rules/stats.smk``: Wilson intervals, the logistic trend, and the audit of the
qualitative coding (intercoder agreement on the double-coded subset). No hypothesis test on
the meaning units of Studies 2 and 3. statsmodels is imported by the functions that use it."""

from __future__ import annotations

from typing import Any

from analysis.categories import EARLY_STAGES
from analysis.io import read_csv, write_csv, write_json
from analysis.steps._common import Paths, read_articles, read_counts


def stats_study1_step(inp: Paths, out: Paths) -> None:
    """Wilson intervals for every reported proportion and the logistic trend."""
    from analysis import stats, tallies

    articles = read_articles(inp["articles"])
    write_csv(stats.with_wilson(read_counts(inp["role"])), out["role_ci"])
    write_csv(stats.with_wilson(read_counts(inp["stage"])), out["stage_ci"])
    write_csv(stats.with_wilson(read_counts(inp["outcomes"])), out["outcomes_ci"])
    involved = stats.any_cocreation(articles["stages"], EARLY_STAGES)
    early = stats.with_wilson(tallies.count_by(involved.to_frame("any"), "any", order=[1]))
    early = early.drop(columns="any")
    write_json(
        {
            "trend": stats.logistic_trend(articles["year"], involved),
            "early": early.iloc[0].to_dict(),
        },
        out["model"],
    )


def reliability_step(inp: Paths, out: Paths) -> None:
    """Intercoder reliability on the double-coded meaning units, per code group and overall.

    Cohen's kappa compares the primary coder (the one who coded every unit) with the
    first other coder; Fleiss' kappa and Krippendorff's alpha use every coder.
    """
    import pandas as pd

    from analysis import reliability, stc

    codings = read_csv(inp["codings"])
    coders = stc.coders_by_volume(codings)
    if len(coders) < 2:
        summary: dict[str, Any] = {
            "unit_of_analysis": reliability.UNIT_OF_ANALYSIS,
            "coders": coders,
            "units_double_coded": 0,
        }
        table = pd.DataFrame(columns=reliability.TABLE_COLUMNS)
    else:
        summary = reliability.reliability_summary(
            codings, unit="unit_id", code="code", cohen_pair=coders[:2]
        )
        table = reliability.per_code_table(summary, read_csv(inp["codebook"]))
    write_json(summary, out["summary"])
    write_csv(table, out["table"])
