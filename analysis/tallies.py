"""Thematic tallies: how often each category, theme and subtheme occurs.

Counts are the backbone of every table in the articles. They are computed from the clean
tables only, with categories in a fixed order (the schema's order for Study 1, the codebook's
order for Studies 2 and 3) so that tables read the same way in every build.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.categories import BENEFICIARIES, ROLE_CATEGORIES, STAGES


def count_by(
    df: pd.DataFrame,
    column: str,
    *,
    order: Sequence[str] | None = None,
    total: int | None = None,
    label: str | None = None,
) -> pd.DataFrame:
    """Counts and percentages of ``column``, in ``order`` (or by descending count, then name).

    ``total`` is the denominator of the percentages: the number of articles for multi-valued
    columns, where the counts add up to more than the number of rows.
    """
    counts = df[column].value_counts()
    if order is None:
        keys = sorted(counts.index, key=lambda k: (-int(counts[k]), str(k)))
    else:
        keys = list(order)
    n = [int(counts.get(k, 0)) for k in keys]
    denom = int(total if total is not None else len(df))
    out = pd.DataFrame({label or column: keys, "n": n})
    out["percent"] = [round(100 * v / denom, 1) if denom else 0.0 for v in n]
    out["total"] = denom
    return out


def year_groups(years: pd.Series, width: int = 5) -> pd.Series:
    """Group publication years into ``width``-year bins labelled like '2011–2015'."""
    start = (years - 1) // width * width + 1
    return start.astype(int).astype(str) + "–" + (start + width - 1).astype(int).astype(str)


def explode(articles: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    """Long table (article_id, name) from a ';'-separated multi-valued column."""
    long = (
        articles[["article_id", column]]
        .assign(**{name: articles[column].str.split(";")})
        .explode(name)
    )
    long[name] = long[name].str.strip()
    long = long[long[name].notna() & (long[name] != "")]
    return long[["article_id", name]].reset_index(drop=True)


def crosstab(
    df: pd.DataFrame, rows: str, cols: str, row_order: Sequence[str], col_order: Sequence[str]
) -> pd.DataFrame:
    """Counts of ``rows`` × ``cols`` with every combination present (zeros included)."""
    tab = pd.crosstab(df[rows], df[cols]).reindex(index=row_order, columns=col_order, fill_value=0)
    tab.index.name, tab.columns.name = rows, None
    return tab.astype(int)


SOURCE_COLUMNS = (
    "article_id",
    "year",
    "country",
    "design",
    "sector",
    "setting",
    "role_category",
    "stages",
)
"""What PRISMA-ScR item 17 asks to be shown for every included source of evidence."""


def study1_tallies(articles: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """All Study 1 counts (role, stage, outcomes, country, year, design, sector, setting) and the
    one-row-per-source chart of the included articles."""
    n = len(articles)
    stages = explode(articles, "stages", "stage")
    outcomes = explode(articles, "outcomes", "beneficiary")
    with_roles = stages.merge(articles[["article_id", "role_category"]], on="article_id")
    role_stage = crosstab(with_roles, "role_category", "stage", ROLE_CATEGORIES, STAGES)
    role_stage = role_stage.reset_index()
    years = articles.assign(period=year_groups(articles["year"].astype(int)))
    return {
        "role": count_by(articles, "role_category", order=ROLE_CATEGORIES),
        "stage": count_by(stages, "stage", order=STAGES, total=n),
        "outcomes": count_by(outcomes, "beneficiary", order=BENEFICIARIES, total=n),
        "country": count_by(articles, "country"),
        "period": count_by(years, "period", order=sorted(years["period"].unique())),
        "year": count_by(
            articles.assign(year=articles["year"].astype(int)),
            "year",
            order=sorted(articles["year"].astype(int).unique()),
        ),
        "design": count_by(
            articles, "design", order=["qualitative", "quantitative", "mixed", "other"]
        ),
        "sector": count_by(articles, "sector", order=["mental health", "substance use", "both"]),
        "setting": count_by(articles, "setting", order=["inpatient", "outpatient", "community"]),
        "role_stage": role_stage,
        "sources": articles[list(SOURCE_COLUMNS)].sort_values("article_id", kind="mergesort"),
    }


def theme_order(codebook: pd.DataFrame) -> tuple[list[str], list[tuple[str, str]]]:
    """Themes and (theme, subtheme) pairs in codebook order."""
    themes = list(dict.fromkeys(codebook["theme"]))
    subs = list(dict.fromkeys(zip(codebook["theme"], codebook["subtheme"], strict=True)))
    return themes, subs


def _with_group(segments: pd.DataFrame, participants: pd.DataFrame, group: str) -> pd.DataFrame:
    """The segments condensed to one row per group, theme, subtheme, code and participant,
    with its ``units`` (meaning units) and ``chars`` (their characters).

    Every tally below is a sum or a distinct count over these few thousand rows, so a
    million meaning units are read once: joined to their participant's ``group`` (an inner
    join: a unit of an unknown participant is not counted), their keys hashed once as
    categories and grouped in one pass.
    """
    seg = segments.merge(participants[["participant_id", group]], on="participant_id")
    keys = [c for c in (group, "theme", "subtheme", "code", "participant_id") if c in seg.columns]
    seg = (
        seg[keys]
        .astype(dict.fromkeys(keys, "category"))
        .assign(chars=seg["text"].str.len().astype("int64") if "text" in seg.columns else 0)
    )
    grouped = seg.groupby(keys, sort=False, observed=True)
    return pd.DataFrame({"units": grouped.size(), "chars": grouped["chars"].sum()}).reset_index()


def _counts(fine: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """Per combination of ``keys``: meaning units, distinct participants and characters,
    from the condensed rows of :func:`_with_group`."""
    if fine.empty:
        return {}
    grouped = fine.groupby(keys, sort=False, observed=True)
    units = grouped["units"].sum()
    people = grouped["participant_id"].nunique()
    chars = grouped["chars"].sum()
    return {
        (k if isinstance(k, tuple) else (k,)): (int(u), int(p), int(c))
        for k, u, p, c in zip(
            units.index, units.to_numpy(), people.to_numpy(), chars.to_numpy(), strict=True
        )
    }


def _units_by(
    fine: pd.DataFrame, rows: str, cols: str, row_order: Sequence[str], col_order: Sequence[str]
) -> pd.DataFrame:
    """Meaning units of ``rows`` x ``cols`` with every combination present (zeros included),
    as :func:`crosstab` gives on the uncondensed segments."""
    tab = pd.DataFrame(0, index=list(row_order), columns=list(col_order))
    if not fine.empty:
        counts = fine.groupby([rows, cols], sort=False, observed=True)["units"].sum()
        tab = counts.unstack(fill_value=0).reindex(
            index=list(row_order), columns=list(col_order), fill_value=0
        )
    tab.index.name, tab.columns.name = rows, None
    return tab.astype(int)


def segment_tallies(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    codebook: pd.DataFrame,
    group: str,
) -> dict[str, pd.DataFrame]:
    """Meaning units per theme and subtheme, by ``group``, and participant coverage.

    Coverage is the number of the study's participants who contributed at least one meaning
    unit to a theme: the share of voices behind a theme, which segment counts alone hide.
    """
    themes, subs = theme_order(codebook)
    seg = _with_group(segments, participants, group)
    n_part = len(participants)
    # one pass per level (groupby), then rows in codebook order: linear in the segments
    by_theme = _counts(seg, ["theme"])
    theme_rows = []
    for t in themes:
        units, people, _ = by_theme.get((t,), (0, 0, 0))
        theme_rows.append({"theme": t, "segments": units, "participants": people, "of": n_part})
    by_sub = _counts(seg, ["theme", "subtheme"])
    sub_rows = []
    for t, st in subs:
        units, people, _ = by_sub.get((t, st), (0, 0, 0))
        sub_rows.append(
            {"theme": t, "subtheme": st, "segments": units, "participants": people, "of": n_part}
        )
    groups = list(dict.fromkeys(participants[group]))
    by_group = _units_by(seg, "theme", group, themes, groups).reset_index()
    sizes = participants[group].value_counts()
    spoke = _counts(seg, ["theme", group])
    cov = []
    for t in themes:
        row: dict[str, object] = {"theme": t}
        for g in groups:
            row[g] = f"{spoke.get((t, g), (0, 0, 0))[1]}/{int(sizes.get(g, 0))}"
        cov.append(row)
    return {
        "themes": pd.DataFrame(theme_rows),
        "subthemes": pd.DataFrame(sub_rows),
        "by_group": by_group,
        "coverage_by_group": pd.DataFrame(cov),
        "hierarchy": stc_hierarchy(segments, participants, codebook, group, merged=seg),
    }


def stc_hierarchy(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    codebook: pd.DataFrame,
    group: str,
    merged: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tallies and coverage at every level of systematic text condensation, by group.

    One row per node (theme, subgroup, code group) and per group, plus the whole study
    (group ``all``): ``units`` meaning units, ``participants`` contributing of ``of`` in
    the group, and ``coverage_pct`` -- the share of the group's coded text (characters of
    its meaning units) that lies in the node, as NVivo reports coverage. Character coverage
    shows what unit counts hide: a node built from a few long accounts. Nodes with no unit
    in a group are kept with zeros, so every build has the same rows in the same order.
    ``merged`` is the segments already condensed by :func:`segment_tallies`
    (:func:`_with_group`), so a million units are read once.
    """
    seg = _with_group(segments, participants, group) if merged is None else merged
    groups = ["all", *dict.fromkeys(participants[group])]
    nodes: list[tuple[str, str, str, str]] = []
    for theme in dict.fromkeys(codebook["theme"]):
        nodes.append(("theme", theme, "", ""))
        in_theme = codebook[codebook["theme"] == theme]
        for sub in dict.fromkeys(in_theme["subtheme"]):
            nodes.append(("subgroup", theme, sub, ""))
            for code in in_theme.loc[in_theme["subtheme"] == sub, "code"]:
                nodes.append(("code group", theme, sub, code))
    level_keys = {
        "theme": ["theme"],
        "subgroup": ["theme", "subtheme"],
        "code group": ["theme", "subtheme", "code"],
    }
    # one grouped pass per level for the whole study and one with the group as first key
    whole = {level: _counts(seg, keys) for level, keys in level_keys.items()}
    by_group = {level: _counts(seg, [group, *keys]) for level, keys in level_keys.items()}
    chars_of = (
        seg.groupby(group, sort=False, observed=True)["chars"].sum()
        if len(seg)
        else pd.Series(dtype=int)
    )
    rows = []
    for g in groups:
        everyone = g == "all"
        people = participants if everyone else participants[participants[group] == g]
        total = int(seg["chars"].sum()) if everyone else int(chars_of.get(g, 0))
        for level, theme, sub, code in nodes:
            key = tuple(v for v in (theme, sub, code) if v)
            if len(key) == len(level_keys[level]):
                table, lookup = (whole, key) if everyone else (by_group, (g, *key))
                units, contributors, chars = table[level].get(lookup, (0, 0, 0))
            else:  # an empty subtheme or code matches any value, as a filter would
                gs = seg if everyone else seg[seg[group] == g]
                units, contributors, chars = _node_by_mask(gs, theme, sub, code)
            rows.append(
                {
                    "level": level,
                    "theme": theme,
                    "subtheme": sub,
                    "code": code,
                    "group": g,
                    "units": units,
                    "participants": contributors,
                    "of": len(people),
                    "coverage_pct": round(100 * chars / total, 1) if total else 0.0,
                }
            )
    return pd.DataFrame(rows)


def _node_by_mask(gs: pd.DataFrame, theme: str, sub: str, code: str) -> tuple[int, int, int]:
    """Units, participants and characters of one node, filtering only on non-empty parts."""
    mask = gs["theme"] == theme
    if sub:
        mask &= gs["subtheme"] == sub
    if code:
        mask &= gs["code"] == code
    hit = gs[mask]
    return int(hit["units"].sum()), int(hit["participant_id"].nunique()), int(hit["chars"].sum())
