"""Synthetic Study 1 (scoping review): the charting sheet and the PRISMA 2020 counts.

Split from :mod:`analysis.synthetic` (issue #12's size rule); see there for what the synthetic
data are and why. The records are constrained to the published totals (172 of 13,178
screened articles included, 10 databases) and to the review's definition of co-creation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.categories import BENEFICIARIES, EARLY_STAGES, ROLE_CATEGORIES, STAGES

PEER_TITLES = (
    "peer support worker",
    "peer specialist",
    "consumer provider",
    "expert by experience",
    "recovery coach",
    "peer navigator",
    "peer mentor",
    "lived experience worker",
    "erfaringskonsulent",
)


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder).

    Used wherever a published total must be met exactly while the split is synthetic.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or w.min() < 0 or w.sum() <= 0:
        raise ValueError(f"cannot allocate {total} over weights {list(weights)}")
    exact = total * w / w.sum()
    parts = np.floor(exact).astype(int)
    short = total - int(parts.sum())
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:short]:
        parts[i] += 1
    return [int(p) for p in parts]


def _choice(rng: np.random.Generator, weights: Mapping[str, float], n: int) -> list[str]:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p / p.sum())]


def _year_weights(years: Sequence[int], growth: float) -> np.ndarray:
    w = np.exp(growth * (np.asarray(years) - years[0]))
    return w / w.sum()


def prisma_counts(params: Mapping[str, Any], published: Mapping[str, Any]) -> pd.DataFrame:
    """PRISMA 2020 counts consistent with the published screened and included totals."""
    dbs = list(published["databases"])
    per_db = allocate(int(params["records_identified"]), params["database_weights"])
    if len(per_db) != len(dbs):
        raise ValueError("study1.database_weights needs one weight per published database")
    other = {str(k): int(v) for k, v in params["other_sources"].items()}
    removed_other = int(params["removed_other"])
    screened = int(published["screened"])
    identified = sum(per_db) + sum(other.values())
    duplicates = identified - removed_other - screened
    sought = int(params["reports_sought"])
    assessed = sought - int(params["not_retrieved"])
    reasons = {str(k): int(v) for k, v in params["exclusion_reasons"].items()}
    included = assessed - sum(reasons.values())
    if duplicates < 0 or included != int(published["included"]):
        raise ValueError(
            f"synthetic PRISMA parameters give {included} included and {duplicates} duplicates;"
            f" the published total is {published['included']} included"
        )
    rows: list[tuple[str, str, int]] = [
        ("identified_database", db, n) for db, n in zip(dbs, per_db, strict=True)
    ]
    rows += [("identified_other", k, v) for k, v in other.items()]
    rows += [
        ("removed_duplicates", "", duplicates),
        ("removed_other", "", removed_other),
        ("screened", "", screened),
        ("excluded_screening", "", screened - sought),
        ("sought", "", sought),
        ("not_retrieved", "", int(params["not_retrieved"])),
        ("assessed", "", assessed),
    ]
    rows += [("excluded_reason", k, v) for k, v in reasons.items()]
    rows.append(("included", "", included))
    return pd.DataFrame(rows, columns=["stage", "item", "n"])


def _stages_for(role: str, rng: np.random.Generator, params: Mapping[str, Any]) -> list[str]:
    """Service-cycle stages for one article.

    Partners in co-creation take part in an early stage (co-commissioning or co-design) *and
    then* in implementing or delivering the solution: that is the definition of co-creation
    the review uses, so co-delivery is always among their stages. The two co-production roles
    deliver, and occasionally assess or (peer support) help design.
    """
    stages: set[str] = set()
    if role == "co-creation partner":
        p = params["cocreation_stages"]
        early = [s for s in EARLY_STAGES if rng.random() < float(p[s])]
        stages.update(early or ["co-design"])
        stages.add("co-delivery")
        # This draw once decided co-delivery; it is still taken so that the shared random
        # stream, and with it every later Study 2 and 3 record, stays as it was.
        rng.random()
        if rng.random() < float(p["co-assessment"]):
            stages.add("co-assessment")
    else:
        stages.add("co-delivery")
        if rng.random() < float(params["p_coassessment"]):
            stages.add("co-assessment")
        if role == "peer support" and rng.random() < float(params["p_codesign_other"]):
            stages.add("co-design")
    return [s for s in STAGES if s in stages]


def cocreation_violations(sheet: pd.DataFrame) -> list[str]:
    """Rows of a charting sheet whose co-creation partners break the definition.

    Co-creation means taking part in an early stage of the service cycle (co-commissioning or
    co-design) and then in implementing or delivering the solution (co-delivery); a partner in
    co-creation without both contradicts the category. Returns one message per bad row.
    """
    problems = []
    for i, row in enumerate(sheet.itertuples(index=False), start=2):  # row 1 is the header
        if row.role_category != "co-creation partner":
            continue
        stages = {s.strip() for s in str(row.stages).split(";") if s.strip()}
        missing = []
        if not stages & set(EARLY_STAGES):
            missing.append("an early stage (co-commissioning or co-design)")
        if "co-delivery" not in stages:
            missing.append("co-delivery")
        if missing:
            problems.append(
                f"row {i} ({row.article_id}): a co-creation partner without {' or '.join(missing)}"
            )
    return problems


def extraction_sheet(
    params: Mapping[str, Any], published: Mapping[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """One row per included article, shaped like a scoping review's charting sheet."""
    n = int(published["included"])
    optional = {"co-commissioning", "co-design", "co-assessment"}
    given = set(params.get("cocreation_stages") or {})
    if given != optional:
        raise ValueError(
            "config/synthetic.yaml study1.cocreation_stages must give a probability for exactly "
            f"{sorted(optional)} (co-delivery is not optional for partners in co-creation); "
            f"got {sorted(given)}"
        )
    roles: list[str] = []
    for role, k in zip(
        ROLE_CATEGORIES,
        allocate(n, [params["role_shares"][r] for r in ROLE_CATEGORIES]),
        strict=True,
    ):
        roles += [role] * k
    lo, hi = params["years"]
    years = list(range(int(lo), int(hi) + 1))
    growth = float(params["year_growth"])
    base = _year_weights(years, growth)
    late = _year_weights(years, growth + float(params["cocreation_extra_growth"]))
    rows = []
    for role in roles:
        p = late if role == "co-creation partner" else base
        outcomes = [b for b in BENEFICIARIES if rng.random() < float(params["outcomes"][b])]
        rows.append(
            {
                "year": int(rng.choice(years, p=p)),
                "country": _choice(rng, params["countries"], 1)[0],
                "design": _choice(rng, params["designs"], 1)[0],
                "sector": _choice(rng, params["sectors"], 1)[0],
                "setting": _choice(rng, params["settings"], 1)[0],
                "peer_title": PEER_TITLES[int(rng.integers(len(PEER_TITLES)))],
                "role_category": role,
                "stages": "; ".join(_stages_for(role, rng, params)),
                "outcomes": "; ".join(outcomes),
                "_key": float(rng.random()),
            }
        )
    df = pd.DataFrame(rows).sort_values(["year", "_key"], kind="mergesort").drop(columns="_key")
    df.insert(0, "article_id", [f"S1-{i:03d}" for i in range(1, n + 1)])
    df.insert(1, "first_author", [f"Author {i:03d}" for i in range(1, n + 1)])
    df = df.reset_index(drop=True)
    if problems := cocreation_violations(df):
        raise ValueError(
            "config/synthetic.yaml study1 gives co-creation partners that break the"
            " definition of co-creation: " + "; ".join(problems[:5])
        )
    return df
