"""Intercoder reliability of coded qualitative segments (Cohen, Fleiss, Krippendorff).

The input is the ``codings`` table of :mod:`analysis.qdpx`: one row per REFI-QDA ``Coding``,
with the coded span (``selection_id``, a ``PlainTextSelection``), the code applied
(``code_id`` or a code label) and the ``coder``. A double-coded subset is the same selection
coded by two or more coders; agreement is measured on *which code(s) each coder applied to
that segment*, so the unit of analysis is the coded segment.

Why the design choices below:

- A coder who has no row for a unit did not code it: that is *missing*, not "applied no
  code". QDPX has no way to record "I looked and nothing applies", so units coded by only one
  coder carry no information about agreement and are excluded (Cohen and Fleiss need a
  complete unit x coder layout; Krippendorff's alpha drops unpairable values anyway).
- Per code, each coder's decision is presence/absence of that code on the unit, giving one
  2x2 table per code. When a code has no variation (both coders never, or both always, used
  it on the double-coded units) chance agreement is 1 and kappa/alpha are 0/0: they are
  reported as NaN with the raw agreement (100%), never as 1 or 0.
- "Overall" statistics use the nominal code of each unit when every coder applied exactly one
  code per unit (the common "one code per segment" design). Otherwise (several codes per
  unit) they fall back to presence/absence pooled over (unit, code) pairs; the ``method``
  field says which. The pooled figure treats the codes of one unit as independent
  decisions, so its confidence interval is optimistic.
- Identifiers are compared as strings and every output is sorted, so results do not depend
  on row order and JSON written from :func:`reliability_summary` is byte-stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa, fleiss_kappa

DIGITS = 4
UNIT_OF_ANALYSIS = "coded segment (PlainTextSelection); agreement on which code was applied"
ONE_CODE = "one_code_per_unit"
POOLED = "pooled_code_presence"
LEVELS = ("nominal", "ordinal", "interval", "ratio")
# Chance agreement this close to 1 means no variation: kappa is 0/0, not a number.
_DEGENERATE = 1e-12
_Z95 = float(norm.ppf(0.975))  # the 95% interval statsmodels reports as kappa_low/kappa_upp


# --------------------------------------------------------------------------- preparation


def _prepare(
    codings: pd.DataFrame, unit: str, code: str, coder: str, coders: Sequence[str] | None
) -> tuple[pd.DataFrame, list[str]]:
    """Validated ``unit, code, coder`` string triples, one per distinct coding decision.

    Rows missing any of the three (NaN or empty string, e.g. a Coding whose user could not be
    resolved) are dropped: they cannot be attributed to a coder or a code. Repeated rows (the
    same coder applying the same code twice to one selection) count once, because agreement
    is about whether the code was applied, not how often.
    """
    missing = [c for c in (unit, code, coder) if c not in codings.columns]
    if missing:
        raise ValueError(
            f"codings table lacks column(s) {missing}; has {list(map(str, codings.columns))}"
        )
    frame = codings[[unit, code, coder]].dropna()
    frame = frame.astype(str)
    frame = frame[(frame != "").all(axis=1)]
    frame = frame.drop_duplicates().reset_index(drop=True)
    frame.columns = ["unit", "code", "coder"]
    present = sorted(frame["coder"].unique())
    if coders is None:
        chosen = present
    else:
        chosen = [str(c) for c in coders]
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"coders must be distinct, got {chosen}")
        unknown = [c for c in chosen if c not in present]
        if unknown:
            raise ValueError(f"unknown coder(s) {unknown}; coders in the codings table: {present}")
        chosen = sorted(chosen)
    if len(chosen) < 2:
        raise ValueError(
            f"intercoder reliability needs at least two coders; found {len(chosen)}: {chosen}"
        )
    frame = frame[frame["coder"].isin(chosen)]
    per_unit = frame.groupby("unit")["coder"].nunique()
    if not (per_unit >= 2).any():
        raise ValueError(
            f"no {unit} is coded by more than one coder (coders {chosen}); "
            "there is no double-coded subset to compare"
        )
    return frame, chosen


def _presence(frame: pd.DataFrame, coders: list[str], min_coders: int) -> pd.DataFrame:
    """Presence matrix, index (unit, code), columns coders, for units coded by >= min_coders.

    1 = the coder applied the code to the unit, 0 = the coder coded the unit but not with this
    code, NaN = the coder did not code the unit at all (only possible when min_coders is
    below the number of coders). Codes are those used on the kept units.
    """
    per_unit = frame.groupby("unit")["coder"].nunique()
    units = sorted(per_unit.index[per_unit >= min_coders])
    if not units:
        raise ValueError(
            f"no unit is coded by all {len(coders)} coders {coders}; "
            "pass coders=... to compare a subset of them"
        )
    kept = frame[frame["unit"].isin(units)]
    codes = sorted(kept["code"].unique())
    index = pd.MultiIndex.from_product([units, codes], names=["unit", "code"])
    kept = kept.assign(present=1.0)
    wide = kept.pivot_table(
        index=["unit", "code"], columns="coder", values="present", aggfunc="max"
    )
    wide = wide.reindex(index=index, columns=coders).fillna(0.0)
    coded = pd.crosstab(kept["unit"], kept["coder"]).reindex(
        index=units, columns=coders, fill_value=0
    )
    mask = coded.reindex(wide.index.get_level_values("unit")).to_numpy() > 0
    wide = wide.where(mask)
    wide.columns.name = "coder"
    return wide


def _one_code_per_unit(matrix: pd.DataFrame) -> bool:
    """True when every coder who coded a unit applied exactly one code to it."""
    totals = matrix.groupby(level="unit", sort=False).sum(min_count=1)
    values = totals.to_numpy(dtype=float)
    return bool(np.all(np.isnan(values) | (values == 1)))


def _nominal_labels(matrix: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Unit x coder integer code index (codes sorted), NaN where the coder did not code."""
    position = {c: float(i) for i, c in enumerate(codes)}
    out = {}
    for c in matrix.columns:
        col = matrix[c]
        chosen = col[col == 1].reset_index()
        out[c] = pd.Series(
            chosen["code"].map(position).to_numpy(dtype=float), index=chosen["unit"].to_numpy()
        )
    units = list(dict.fromkeys(matrix.index.get_level_values("unit")))
    return pd.DataFrame(out).reindex(index=units, columns=list(matrix.columns))


# --------------------------------------------------------------------------- statistics


def _cohen(table: np.ndarray) -> tuple[float, float, float]:
    """Cohen's kappa with its asymptotic 95% interval, NaN when chance agreement is 1."""
    table = np.asarray(table, dtype=float)
    n = table.sum()
    expected = float((table.sum(axis=1) * table.sum(axis=0)).sum() / (n * n))
    if expected >= 1 - _DEGENERATE:
        return (float("nan"),) * 3
    # At perfect agreement the variance is 0 up to rounding and can come out as -1e-17, which
    # statsmodels turns into a NaN interval: clamp that rounding error to 0.
    with np.errstate(invalid="ignore"):
        res = cohens_kappa(table)
    kappa, var = float(res.kappa), float(res.var_kappa)
    if -1e-12 < var < 0:
        var = 0.0
    half = _Z95 * float(np.sqrt(var))
    return kappa, kappa - half, kappa + half


def _fleiss(counts: np.ndarray) -> tuple[float, float]:
    """Fleiss' kappa and mean pairwise observed agreement of a subjects x categories table."""
    counts = np.asarray(counts, dtype=float)
    raters = counts.sum(axis=1)
    n = raters[0]
    observed = float(((counts**2).sum(axis=1) - n).sum() / (len(counts) * n * (n - 1)))
    shares = counts.sum(axis=0) / counts.sum()
    if float((shares**2).sum()) >= 1 - _DEGENERATE:
        return float("nan"), observed
    return float(fleiss_kappa(counts, method="fleiss")), observed


def _alpha(data: np.ndarray, level: str) -> float:
    """Krippendorff's alpha of a coders x units matrix, NaN when only one value is pairable."""
    data = np.asarray(data, dtype=float)
    pairable = np.sum(~np.isnan(data), axis=0) >= 2
    values = data[:, pairable]
    values = np.unique(values[~np.isnan(values)])
    if values.size < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def _two(table_rows: np.ndarray, table_cols: np.ndarray) -> np.ndarray:
    """2x2 table (rows: first coder absent/present; columns: second coder)."""
    a = table_rows.astype(int)
    b = table_cols.astype(int)
    return np.array(
        [
            [np.sum((a == 0) & (b == 0)), np.sum((a == 0) & (b == 1))],
            [np.sum((a == 1) & (b == 0)), np.sum((a == 1) & (b == 1))],
        ],
        dtype=float,
    )


# --------------------------------------------------------------------------- public API


def unit_code_matrix(
    codings: pd.DataFrame,
    *,
    unit: str = "selection_id",
    code: str = "code_id",
    coder: str = "coder",
    coders: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Presence (1/0) of every code for every coder on the units coded by all coders.

    Returns a frame indexed by (``unit``, ``code``) -- every double-coded unit crossed with
    every code used on those units -- with one integer column per coder (sorted). Units that
    not every coder coded are left out: they are not double-coded, and a 0 there would
    wrongly count "did not look at it" as "decided the code does not apply". ``coders``
    restricts the comparison to some of the coders (all by default).
    """
    frame, chosen = _prepare(codings, unit, code, coder, coders)
    matrix = _presence(frame, chosen, min_coders=len(chosen)).astype(int)
    matrix.index = matrix.index.set_names([unit, code])
    return matrix


def _pair(
    codings: pd.DataFrame, coders: Sequence[str] | None, unit: str, code: str, coder: str
) -> tuple[pd.DataFrame, list[str]]:
    """Presence matrix for exactly two coders, the pair Cohen's kappa is defined for."""
    frame, chosen = _prepare(codings, unit, code, coder, coders)
    if len(chosen) != 2:
        raise ValueError(
            f"Cohen's kappa compares exactly two coders; the codings have {len(chosen)} "
            f"({', '.join(chosen)}): pass coders=(a, b) to choose a pair, or use "
            "fleiss_kappa_per_code / krippendorff_alpha for all of them"
        )
    return _presence(frame, chosen, min_coders=2), chosen


def cohen_kappa_per_code(
    codings: pd.DataFrame,
    coders: Sequence[str] | None = None,
    *,
    unit: str = "selection_id",
    code: str = "code_id",
    coder: str = "coder",
) -> pd.DataFrame:
    """Cohen's kappa per code on its 2x2 presence/absence table for two coders.

    Columns ``code, units, agree_pct, kappa, ci_low, ci_high``; ``units`` is the number of
    units coded by both coders and ``agree_pct`` the percentage of them on which the coders
    agree about the code (present for both or absent for both). The interval is the
    asymptotic 95% one of statsmodels (Fleiss, Cohen & Everitt 1969 variance): with few units
    it is only a rough guide, and it collapses to [1, 1] at perfect agreement. A code
    without variation (both never / both always applied it) gets NaN kappa and interval:
    agreement is reported, but there is nothing beyond chance to measure. With more than two
    coders ``coders=(a, b)`` is required.
    """
    matrix, (a, b) = _pair(codings, coders, unit, code, coder)
    rows = []
    for label, block in matrix.groupby(level="code", sort=True):
        table = _two(block[a].to_numpy(), block[b].to_numpy())
        kappa, lo, hi = _cohen(table)
        n = int(table.sum())
        rows.append(
            {
                "code": label,
                "units": n,
                "agree_pct": 100.0 * float(np.trace(table)) / n,
                "kappa": kappa,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame(rows, columns=["code", "units", "agree_pct", "kappa", "ci_low", "ci_high"])


def cohen_kappa_overall(
    codings: pd.DataFrame,
    coders: Sequence[str] | None = None,
    *,
    unit: str = "selection_id",
    code: str = "code_id",
    coder: str = "coder",
) -> dict[str, Any]:
    """One Cohen's kappa for the whole double-coded subset of two coders.

    ``method`` is ``"one_code_per_unit"`` when each coder applied exactly one code to every
    shared unit: kappa of the r x r confusion table of the two coders' codes (the usual
    figure for a "one code per segment" design). Otherwise it is ``"pooled_code_presence"``:
    the per-code 2x2 tables summed, i.e. kappa over all (unit, code) presence decisions. The
    pooled interval assumes those decisions are independent, which codes of one segment are
    not, so it is too narrow; and with many rarely used codes the many joint absences make
    raw agreement high while kappa corrects for it.
    """
    matrix, (a, b) = _pair(codings, coders, unit, code, coder)
    codes = sorted(matrix.index.get_level_values("code").unique())
    units = int(matrix.index.get_level_values("unit").nunique())
    if _one_code_per_unit(matrix):
        labels = _nominal_labels(matrix, codes).astype(int)
        table = np.zeros((len(codes), len(codes)))
        np.add.at(table, (labels[a].to_numpy(), labels[b].to_numpy()), 1)
        method = ONE_CODE
    else:
        table = _two(matrix[a].to_numpy(), matrix[b].to_numpy())
        method = POOLED
    kappa, lo, hi = _cohen(table)
    return {
        "coders": [a, b],
        "units": units,
        "method": method,
        "agree_pct": 100.0 * float(np.trace(table)) / float(table.sum()),
        "kappa": kappa,
        "ci_low": lo,
        "ci_high": hi,
    }


def fleiss_kappa_per_code(
    codings: pd.DataFrame,
    coders: Sequence[str] | None = None,
    *,
    unit: str = "selection_id",
    code: str = "code_id",
    coder: str = "coder",
) -> pd.DataFrame:
    """Fleiss' kappa per code (presence/absence) over the units coded by all coders.

    Columns ``code, units, agree_pct, kappa``: ``agree_pct`` is Fleiss' mean pairwise
    observed agreement (for two coders simply the percent agreement). Fleiss' kappa is meant
    for three or more coders; with two it equals Scott's pi, which uses pooled rather than
    per-coder marginals and so can differ slightly from Cohen's kappa. statsmodels gives no
    interval for it. No variation in a code gives NaN, as for Cohen's kappa.
    """
    frame, chosen = _prepare(codings, unit, code, coder, coders)
    matrix = _presence(frame, chosen, min_coders=len(chosen))
    rows = []
    for label, block in matrix.groupby(level="code", sort=True):
        counts, _ = aggregate_raters(block.to_numpy(dtype=int), n_cat=2)
        kappa, observed = _fleiss(counts)
        rows.append(
            {"code": label, "units": len(block), "agree_pct": 100.0 * observed, "kappa": kappa}
        )
    return pd.DataFrame(rows, columns=["code", "units", "agree_pct", "kappa"])


def fleiss_kappa_overall(
    codings: pd.DataFrame,
    coders: Sequence[str] | None = None,
    *,
    unit: str = "selection_id",
    code: str = "code_id",
    coder: str = "coder",
) -> dict[str, Any]:
    """One Fleiss' kappa over the units coded by all coders.

    With one code per unit per coder (``method="one_code_per_unit"``) the categories are the
    codes; otherwise (``"pooled_code_presence"``) every (unit, code) pair is a subject rated
    present/absent -- the same fallback, with the same dependence caveat, as
    :func:`cohen_kappa_overall`.
    """
    frame, chosen = _prepare(codings, unit, code, coder, coders)
    matrix = _presence(frame, chosen, min_coders=len(chosen))
    codes = sorted(matrix.index.get_level_values("code").unique())
    if _one_code_per_unit(matrix):
        labels = _nominal_labels(matrix, codes).to_numpy(dtype=int)
        counts, _ = aggregate_raters(labels, n_cat=len(codes))
        method = ONE_CODE
    else:
        counts, _ = aggregate_raters(matrix.to_numpy(dtype=int), n_cat=2)
        method = POOLED
    kappa, observed = _fleiss(counts)
    return {
        "coders": chosen,
        "units": int(matrix.index.get_level_values("unit").nunique()),
        "method": method,
        "agree_pct": 100.0 * observed,
        "kappa": kappa,
    }


def krippendorff_alpha(
    codings: pd.DataFrame,
    *,
    level: str = "nominal",
    coders: Sequence[str] | None = None,
    unit: str = "selection_id",
    code: str = "code_id",
    coder: str = "coder",
) -> dict[str, Any]:
    """Krippendorff's alpha overall and per code, allowing coders to skip units.

    The reliability data are coders x units. In the one-code-per-unit design each cell is the
    code the coder applied, codes mapped to integers in sorted order, and NaN for a unit the
    coder did not code; alpha copes with these gaps, so every unit coded by at least two
    coders counts (a unit coded by one is unpairable and contributes nothing). With several
    codes per unit the overall value is computed on presence/absence per (unit, code) pair
    (``method`` says which). ``per_code`` maps each code to alpha on its presence/absence.

    Codes are unordered, so ``level`` should stay ``"nominal"``; other levels are passed to
    the ``krippendorff`` package but would treat the sorted order of code labels as
    meaningful (for 0/1 presence data nominal and interval coincide). Alpha is NaN when only
    one value occurs among pairable cells (no variation).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    frame, chosen = _prepare(codings, unit, code, coder, coders)
    matrix = _presence(frame, chosen, min_coders=2)
    codes = sorted(matrix.index.get_level_values("code").unique())
    if _one_code_per_unit(matrix):
        data = _nominal_labels(matrix, codes).to_numpy(dtype=float).T
        method = ONE_CODE
    else:
        data = matrix.to_numpy(dtype=float).T
        method = POOLED
    per_code = {
        label: _alpha(block.to_numpy(dtype=float).T, level)
        for label, block in matrix.groupby(level="code", sort=True)
    }
    return {
        "coders": chosen,
        "units": int(matrix.index.get_level_values("unit").nunique()),
        "level": level,
        "method": method,
        "alpha": _alpha(data, level),
        "per_code": per_code,
    }


def _num(value: Any) -> float | None:
    """A JSON-safe rounded float: NaN/inf become None."""
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value):
        return None
    return round(value, DIGITS)


def _cohen_part(
    codings: pd.DataFrame, kw: Mapping[str, Any], pair: Sequence[str] | None
) -> tuple[pd.DataFrame | None, dict[str, Any] | None]:
    """Cohen's kappa per code (indexed by code) and overall for the pair; ``None`` without one."""
    if pair is None:
        return None, None
    pair_kw = {**kw, "coders": pair}
    cohen_codes = cohen_kappa_per_code(codings, **pair_kw).set_index("code")
    cohen_all = cohen_kappa_overall(codings, **pair_kw)
    return cohen_codes, {
        "coders": cohen_all["coders"],
        "units": cohen_all["units"],
        "method": cohen_all["method"],
        "agree_pct": _num(cohen_all["agree_pct"]),
        "kappa": _num(cohen_all["kappa"]),
        "ci": [_num(cohen_all["ci_low"]), _num(cohen_all["ci_high"])],
    }


def _code_entry(
    label: Any,
    fleiss_codes: pd.DataFrame,
    cohen_codes: pd.DataFrame | None,
    alpha_per_code: Mapping[Any, Any],
    applied: pd.Series,
    chosen: Sequence[str],
) -> dict[str, Any]:
    """One ``per_code`` entry of :func:`reliability_summary`."""
    entry: dict[str, Any] = {"code": label}
    if label in fleiss_codes.index:
        row = fleiss_codes.loc[label]
        entry["units"] = int(row["units"])
        entry["agree_pct"] = _num(row["agree_pct"])
        entry["applied_by"] = {c: int(applied.get((label, c), 0)) for c in chosen}
        entry["fleiss_kappa"] = _num(row["kappa"])
    else:  # used only on units some coder skipped
        entry.update(units=0, agree_pct=None, applied_by=None, fleiss_kappa=None)
    if cohen_codes is not None and label in cohen_codes.index:
        row = cohen_codes.loc[label]
        entry["cohen_kappa"] = _num(row["kappa"])
        entry["cohen_ci"] = [_num(row["ci_low"]), _num(row["ci_high"])]
    else:
        entry["cohen_kappa"] = None
        entry["cohen_ci"] = None
    entry["krippendorff_alpha"] = _num(alpha_per_code.get(label))
    return entry


def reliability_summary(
    codings: pd.DataFrame,
    *,
    coders: Sequence[str] | None = None,
    cohen_pair: Sequence[str] | None = None,
    unit: str = "selection_id",
    code: str = "code_id",
    coder: str = "coder",
) -> dict[str, Any]:
    """Every reliability figure for a manuscript in one JSON-serialisable dict.

    Floats are rounded to 4 decimals and NaN (undefined statistic) becomes ``None``; codes,
    coders and keys are sorted so the JSON is byte-stable. ``per_code`` uses the units coded
    by all coders (``units``, ``agree_pct`` = mean pairwise agreement, Fleiss' kappa), plus
    Cohen's kappa for the pair and Krippendorff's alpha (units coded by >= 2 coders). With more
    than two coders Cohen's kappa needs ``cohen_pair=(a, b)``; without it the Cohen entries
    are ``None`` rather than an error, since Fleiss and Krippendorff still apply. Likewise
    ``fleiss_overall`` is ``None`` when no unit was coded by every coder. ``coders`` limits
    the whole summary to some coders (e.g. leaving out an unnamed or test user).
    """
    frame, chosen = _prepare(codings, unit, code, coder, coders)
    kw: dict[str, Any] = {"unit": unit, "code": code, "coder": coder, "coders": chosen}
    per_unit = frame.groupby("unit")["coder"].nunique()
    if (per_unit == len(chosen)).any():
        fleiss_codes = fleiss_kappa_per_code(codings, **kw).set_index("code")
        fleiss_all: dict[str, Any] | None = fleiss_kappa_overall(codings, **kw)
    else:  # Fleiss needs units rated by every coder; Krippendorff does not
        fleiss_codes = pd.DataFrame(columns=["units", "agree_pct", "kappa"])
        fleiss_all = None
    alpha = krippendorff_alpha(codings, **kw)
    pair = cohen_pair if cohen_pair is not None else (chosen if len(chosen) == 2 else None)
    cohen_codes, cohen_overall = _cohen_part(codings, kw, pair)
    applied = frame[frame["unit"].isin(per_unit.index[per_unit == len(chosen)])]
    applied = applied.groupby(["code", "coder"]).size()
    codes = sorted(set(fleiss_codes.index) | set(alpha["per_code"]))
    per_code = [
        _code_entry(label, fleiss_codes, cohen_codes, alpha["per_code"], applied, chosen)
        for label in codes
    ]
    return {
        "unit_of_analysis": UNIT_OF_ANALYSIS,
        "coders": chosen,
        "units_double_coded": int((per_unit >= 2).sum()),
        "units_coded_by_all": int((per_unit == len(chosen)).sum()),
        "units_single_coded_excluded": int((per_unit == 1).sum()),
        "codes": codes,
        "cohen_overall": cohen_overall,
        "fleiss_overall": None
        if fleiss_all is None
        else {
            "coders": fleiss_all["coders"],
            "units": fleiss_all["units"],
            "method": fleiss_all["method"],
            "agree_pct": _num(fleiss_all["agree_pct"]),
            "kappa": _num(fleiss_all["kappa"]),
        },
        "krippendorff_alpha": {
            "coders": alpha["coders"],
            "units": alpha["units"],
            "level": alpha["level"],
            "method": alpha["method"],
            "alpha": _num(alpha["alpha"]),
        },
        "per_code": per_code,
    }


TABLE_COLUMNS = [
    "theme",
    "subtheme",
    "code",
    "units",
    "agree_pct",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
]


def per_code_table(summary: dict[str, Any], codebook: pd.DataFrame) -> pd.DataFrame:
    """The per-code figures of :func:`reliability_summary` in codebook order, one row each.

    Codes of the codebook that no coder used on the double-coded units are kept with empty
    statistics, so the table always lists the whole codebook.
    """
    by_code = {e["code"]: e for e in summary["per_code"]}
    rows = []
    for entry in codebook.itertuples(index=False):
        e = by_code.get(entry.code, {})
        rows.append(
            {
                "theme": entry.theme,
                "subtheme": entry.subtheme,
                "code": entry.code,
                "units": e.get("units", 0),
                "agree_pct": e.get("agree_pct"),
                "cohen_kappa": e.get("cohen_kappa"),
                "fleiss_kappa": e.get("fleiss_kappa"),
                "krippendorff_alpha": e.get("krippendorff_alpha"),
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
