"""Cross-study synthesis: the three studies' evidence placed on the service cycle.

Study 1 contributes articles (by role category) per service-cycle stage; Studies 2 and 3
contribute meaning units and the participants behind them, placed on the cycle through the
stage map (``stage-map.csv``: which stage each subtheme speaks to, an analytic decision kept
as data so the authors can revise it). Evidence counts are kept per study because articles and
meaning units are not commensurable; shares within a study are what the figure compares.
"""

from __future__ import annotations

import pandas as pd

from analysis.categories import ROLE_CATEGORIES, STAGES
from analysis.tallies import explode


def evidence_matrix(
    articles: pd.DataFrame,
    segments: dict[str, pd.DataFrame],
    stage_map: pd.DataFrame,
) -> pd.DataFrame:
    """Rows: service-cycle stages; columns: evidence counts per study and role category.

    ``segments`` maps a study key ('study2', 'study3') to its clean segments. A subtheme
    missing from the stage map is an error: every finding must be placed on the cycle.
    """
    stages = explode(articles, "stages", "stage").merge(
        articles[["article_id", "role_category"]], on="article_id"
    )
    out = pd.DataFrame({"stage": list(STAGES)})
    for role in ROLE_CATEGORIES:
        counts = stages[stages["role_category"] == role]["stage"].value_counts()
        out[f"study1 {role}"] = [int(counts.get(s, 0)) for s in STAGES]
    out["study1 articles"] = [
        int(stages.loc[stages["stage"] == s, "article_id"].nunique()) for s in STAGES
    ]
    for study, seg in sorted(segments.items()):
        smap = stage_map[stage_map["study"] == study][["theme", "subtheme", "stage"]]
        placed = seg.merge(smap, on=["theme", "subtheme"], how="left")
        missing = placed[placed["stage"].isna()][["theme", "subtheme"]].drop_duplicates()
        if len(missing):
            first = missing.iloc[0]
            raise ValueError(
                f"stage map has no service-cycle stage for {study} subtheme "
                f"'{first['subtheme']}' (theme '{first['theme']}')"
            )
        out[f"{study} segments"] = [int((placed["stage"] == s).sum()) for s in STAGES]
        out[f"{study} participants"] = [
            int(placed.loc[placed["stage"] == s, "participant_id"].nunique()) for s in STAGES
        ]
    return out


def shares(matrix: pd.DataFrame) -> pd.DataFrame:
    """Each study's evidence per stage as a percentage of that study's total evidence."""
    cols = {
        "Study 1": "study1 articles",
        "Study 2": "study2 segments",
        "Study 3": "study3 segments",
    }
    out = pd.DataFrame({"stage": matrix["stage"]})
    for name, col in cols.items():
        if col in matrix:
            total = matrix[col].sum()
            out[name] = (100 * matrix[col] / total).round(1) if total else 0.0
    return out
