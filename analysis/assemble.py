"""Assemble what the manuscripts read: a variables file and Markdown tables.

The manuscripts never compute or type a number: every value they show is a key of the
variables file (``{{< var study1.included >}}``) or a cell of a generated table
(``{{< include tables/…md >}}``). This module is the one place that turns DAG results into
those strings, so the formatting of a number is decided once. The STC reporting of Studies 2
and 3 lives in :mod:`analysis.assemble_stc`, the Norwegian values in :mod:`analysis.norwegian`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.categories import ROLE_CATEGORIES, STAGES
from analysis.prisma import Flow, flow_table
from analysis.tables import fmt_int, fmt_pct, markdown_table

ROLE_KEYS = {
    "pre-determined services": "predetermined",
    "peer support": "peer_support",
    "co-creation partner": "cocreation",
}
ROLE_LABELS = {
    "pre-determined services": "providers of pre-determined services",
    "peer support": "providers of peer support",
    "co-creation partner": "partners in co-creation",
}


def key(text: str) -> str:
    """A variables-file key from a label: 'co-design' → 'co_design'."""
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


def join_words(items: list[str]) -> str:
    """'a, b and c' — lists in running text."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _share(row: Mapping[str, Any]) -> dict[str, str]:
    return {
        "n": fmt_int(row["n"]),
        "pct": fmt_pct(row["percent"]),
        "ci": f"{fmt_pct(row['ci_low'])}–{fmt_pct(row['ci_high'])}",
    }


def study1_variables(
    flow: Flow, tallies: Mapping[str, pd.DataFrame], stats: Mapping[str, Any]
) -> dict[str, Any]:
    """Variables of the scoping review (methods and results).

    Article 1 prints counts and percentages only (descriptive charting, PRISMA-ScR). The
    ``ci`` strings stay in the file for the documents that still quote an interval; the
    logistic year trend is no longer a variable (the Study 1 notebook keeps it as an
    exploratory supplement).
    """
    role = stats["role_ci"].set_index("role_category")
    stage = stats["stage_ci"].set_index("stage")
    ranked = role.sort_values("n", ascending=False, kind="mergesort")
    years = tallies["year"]["year"].astype(int)
    country = tallies["country"].iloc[0]
    early = stats["early"]
    design = tallies["design"].set_index("design")
    return {
        "databases": fmt_int(len(flow.databases)),
        "database_names": join_words(list(flow.databases)),
        "identified": fmt_int(flow.identified),
        "duplicates": fmt_int(flow.removed_duplicates),
        "screened": fmt_int(flow.screened),
        "excluded_screening": fmt_int(flow.excluded_screening),
        "sought": fmt_int(flow.sought),
        "not_retrieved": fmt_int(flow.not_retrieved),
        "assessed": fmt_int(flow.assessed),
        "excluded_full_text": fmt_int(flow.excluded_full_text),
        "included": fmt_int(flow.included),
        "year_first": str(int(years.min())),
        "year_last": str(int(years.max())),
        "top_country": {
            "name": str(country["country"]),
            "n": fmt_int(country["n"]),
            "pct": fmt_pct(country["percent"]),
        },
        "countries": fmt_int(len(tallies["country"])),
        "qualitative": {
            "n": fmt_int(design.loc["qualitative", "n"]),
            "pct": fmt_pct(design.loc["qualitative", "percent"]),
        },
        "role": {
            ROLE_KEYS[r]: {**_share(role.loc[r]), "label": ROLE_LABELS[r]} for r in ROLE_CATEGORIES
        },
        "most_common_role": ROLE_LABELS[str(ranked.index[0])],
        "rarest_role": ROLE_LABELS[str(ranked.index[-1])],
        "stage": {key(s): _share(stage.loc[s]) for s in STAGES},
        "outcome": {
            key(str(b)): {"n": fmt_int(r["n"]), "pct": fmt_pct(r["percent"])}
            for b, r in stats["outcomes_ci"].set_index("beneficiary").iterrows()
        },
        "role_stage": {
            ROLE_KEYS[str(r)]: {key(s): fmt_int(row[s]) for s in STAGES}
            for r, row in stats["role_stage"].set_index("role_category").iterrows()
        },
        "early": {
            "n": fmt_int(early["n"]),
            "pct": fmt_pct(early["percent"]),
            "ci": f"{fmt_pct(early['ci_low'])}–{fmt_pct(early['ci_high'])}",
        },
    }


def qualitative_variables(
    participants: pd.DataFrame,
    segments: pd.DataFrame,
    tallies: Mapping[str, pd.DataFrame],
    group: str,
) -> dict[str, Any]:
    """Variables of Study 2 or 3: sample, themes with tallies and coverage.

    No test statistic: systematic text condensation describes, it does not test, and meaning
    units nested in a few participants would not support a test of association anyway.
    """
    themes = tallies["themes"]
    groups = participants[group].value_counts(sort=False)
    order = list(dict.fromkeys(participants[group]))
    out: dict[str, Any] = {
        "participants": fmt_int(len(participants)),
        "groups": fmt_int(len(order)),
        "group_sizes": join_words([str(int(groups[g])) for g in order]),
        "group_names": join_words(order),
        "sessions": fmt_int(participants["session"].nunique()),
        "segments": fmt_int(len(segments)),
        "subthemes": fmt_int(len(tallies["subthemes"])),
        "themes": fmt_int(len(themes)),
        "group_n": {key(g): fmt_int(groups[g]) for g in order},
    }
    cov = tallies["coverage_by_group"].set_index("theme")
    for i, t in enumerate(themes.itertuples(index=False), start=1):
        out[f"theme{i}"] = {
            "name": str(t.theme),
            "segments": fmt_int(t.segments),
            "participants": fmt_int(t.participants),
            "coverage": fmt_pct(100 * t.participants / t.of),
            **_theme_voices(cov.loc[t.theme], order, group_word(order)),
        }
    return out


def group_word(groups: list[str]) -> str:
    """'focus group' for FG1..FGn, else 'participant group'."""
    return "focus group" if all(g.upper().startswith("FG") for g in groups) else "participant group"


def _theme_voices(row: pd.Series, order: list[str], word: str) -> dict[str, str]:
    """Where a theme's voices came from, in words the prose can use without typing a
    number: the groups it was voiced in, and the groups whose members voiced it most and
    least widely (share of members contributing; ties joined with 'and'; 'every focus group
    alike' when all groups' shares are equal)."""
    share = {}
    for g in order:
        spoke, size = (int(x) for x in str(row[g]).split("/"))
        share[g] = spoke / size if size else 0.0
    voiced = [g for g in order if share[g] > 0]
    top, low = max(share.values()), min(share.values())
    if top == low:
        return {
            "voiced_in": f"every {word}",
            "widest": f"every {word} alike",
            "narrowest": f"every {word} alike",
        }
    return {
        "voiced_in": f"every {word}" if len(voiced) == len(order) else join_words(voiced),
        "widest": join_words([g for g in order if share[g] == top]),
        "narrowest": join_words([g for g in order if share[g] == low]),
    }


def synthesis_variables(matrix: pd.DataFrame, shares: pd.DataFrame) -> dict[str, Any]:
    """Where on the service cycle each study's evidence concentrates."""
    s = shares.set_index("stage")
    m = matrix.set_index("stage")
    columns = {
        "Study 1": "study1 articles",
        "Study 2": "study2 segments",
        "Study 3": "study3 segments",
    }
    out: dict[str, Any] = {}
    for study, col in columns.items():
        if study in s and col in m:
            top = s[study].idxmax()
            # from the counts, not the rounded shares, so the share is rounded once
            early = 100 * m.loc[["co-commissioning", "co-design"], col].sum() / m[col].sum()
            out[key(study)] = {
                "top_stage": str(top),
                "top_pct": fmt_pct(s.loc[top, study]),
                "early_pct": fmt_pct(early),
            }
    return out


# ----------------------------------------------------------------------------- tables


STAGE_ABBREVIATIONS = {
    "co-commissioning": "CC",
    "co-design": "CD",
    "co-delivery": "DL",
    "co-assessment": "CA",
}
"""Short stage codes for the one-row-per-source table, explained in its note."""


def _n_pct(df: pd.DataFrame) -> dict[str, pd.Series]:
    """The two columns every table of counts shows: n and % (of the included articles)."""
    return {"n": df["n"].map(fmt_int), "%": df["percent"].map(fmt_pct)}


def sources_table(sources: pd.DataFrame) -> str:
    """PRISMA-ScR item 17: every included source with what was charted for it.

    The records are synthetic, so the caption says so: no row may pass for an article of the
    published review.
    """
    stages = sources["stages"].map(
        lambda v: ", ".join(STAGE_ABBREVIATIONS[s.strip()] for s in str(v).split(";") if s.strip())
    )
    body = pd.DataFrame(
        {
            "Source": sources["article_id"],
            "Year": sources["year"].map(str),
            "Country": sources["country"],
            "Design": sources["design"],
            "Sector": sources["sector"],
            "Setting": sources["setting"],
            "Role category": sources["role_category"],
            "Stages": stages,
        }
    )
    note = (
        "Stages: CC co-commissioning, CD co-design, DL co-delivery, CA co-assessment. Role "
        "categories: *pre-determined services* = providers of pre-determined services, "
        "*peer support* = providers of peer support, *co-creation partner* = partners in "
        "co-creation. The rows are synthetic records generated for this compendium, not the "
        "articles included in the published review."
    )
    return markdown_table(
        body,
        f"All {fmt_int(len(sources))} included sources of evidence and their charted "
        "characteristics (SYNTHETIC records)",
        "s1-sources",
        align=["l", "r", "l", "l", "l", "l", "l", "l"],
        note=note,
    )


def study1_tables(
    flow: Flow, tallies: Mapping[str, pd.DataFrame], stats: Mapping[str, Any]
) -> dict[str, str]:
    """Markdown tables of article 1 (and the thesis summary): counts and percentages only.

    A scoping review charts a census of the literature it found, so the tables describe it
    (n and %) and carry no interval or test (PRISMA-ScR; Tricco et al., 2018).
    """
    tables: dict[str, str] = {}
    ft = flow_table(flow)
    tables["s1-flow"] = markdown_table(
        ft.assign(n=ft["n"].map(fmt_int)),
        "Records through the review (PRISMA 2020 counts)",
        "s1-flow",
        headers={"box": "Stage", "n": "n"},
        align=["l", "r"],
    )
    rows = []
    for name, col, df in [
        ("Period", "period", tallies["period"]),
        ("Design", "design", tallies["design"]),
        ("Sector", "sector", tallies["sector"]),
        ("Setting", "setting", tallies["setting"]),
        ("Country", "country", tallies["country"]),
    ]:
        for i, r in enumerate(df.itertuples(index=False)):
            rows.append(
                {
                    "Characteristic": name if i == 0 else "",
                    "Category": str(getattr(r, col)),
                    "n": fmt_int(r.n),
                    "%": fmt_pct(r.percent),
                }
            )
    tables["s1-characteristics"] = markdown_table(
        pd.DataFrame(rows),
        f"Characteristics of the {fmt_int(flow.included)} included articles",
        "s1-characteristics",
        align=["l", "l", "r", "r"],
    )
    role = stats["role_ci"]
    rs = stats["role_stage"].set_index("role_category")
    body = pd.DataFrame(
        {"Role category": [ROLE_LABELS[r] for r in role["role_category"]], **_n_pct(role)}
    )
    for s in STAGES:
        body[s] = [fmt_int(rs.loc[r, s]) for r in role["role_category"]]
    tables["s1-roles"] = markdown_table(
        body,
        "Peer-worker role categories and the service-cycle stages they took part in",
        "s1-roles",
        align=["l", "r", "r", "r", "r", "r", "r"],
        note="n and % of the included articles; stage columns count articles within each role"
        " category, and an article can report several stages.",
    )
    st = stats["stage_ci"]
    tables["s1-stages"] = markdown_table(
        pd.DataFrame({"Stage": st["stage"], **_n_pct(st)}),
        "Articles reporting peer workers in each stage of the service cycle",
        "s1-stages",
        align=["l", "r", "r"],
        note="% of the included articles; an article can report several"
        " stages, so the percentages do not sum to 100.",
    )
    oc = stats["outcomes_ci"]
    tables["s1-outcomes"] = markdown_table(
        pd.DataFrame({"Beneficiary": oc["beneficiary"], **_n_pct(oc)}),
        "Outcomes described, by beneficiary",
        "s1-outcomes",
        align=["l", "r", "r"],
        note="% of the included articles; an article can describe outcomes for several groups.",
    )
    tables["s1-sources"] = sources_table(tallies["sources"])
    return tables


def qualitative_tables(
    prefix: str,
    tallies: Mapping[str, pd.DataFrame],
    group_label: str,
    participants: pd.DataFrame,
    group: str,
) -> dict[str, str]:
    """Theme / subtheme tallies with coverage, and the theme × group table (descriptive)."""
    subs = tallies["subthemes"]
    themes = tallies["themes"].set_index("theme")
    rows = []
    for theme in dict.fromkeys(subs["theme"]):
        t = themes.loc[theme]
        rows.append(
            {
                "Theme / subtheme": f"**{theme}**",
                "Meaning units": fmt_int(t["segments"]),
                "Participants": f"{int(t['participants'])} of {int(t['of'])}",
            }
        )
        for s in subs[subs["theme"] == theme].itertuples(index=False):
            rows.append(
                {
                    "Theme / subtheme": f"— {s.subtheme}",
                    "Meaning units": fmt_int(s.segments),
                    "Participants": f"{s.participants} of {s.of}",
                }
            )
    out = {
        f"{prefix}-themes": markdown_table(
            pd.DataFrame(rows),
            "Themes and subthemes: meaning units and participants contributing",
            f"{prefix}-themes",
            align=["l", "r", "r"],
        )
    }
    by = tallies["by_group"].set_index("theme")
    cov = tallies["coverage_by_group"].set_index("theme")
    sizes = participants[group].value_counts(sort=False)
    table = pd.DataFrame({"Theme": list(by.index)})
    for g in by.columns:
        table[f"{g} (n = {int(sizes[g])})"] = [
            f"{int(by.loc[t, g])} ({cov.loc[t, g]})" for t in by.index
        ]
    note = (
        "Cells: meaning units (participants contributing / group size). The counts describe"
        " the material; they are not tested, since meaning units are nested in participants."
    )
    out[f"{prefix}-groups"] = markdown_table(
        table,
        f"Meaning units per theme by {group_label}",
        f"{prefix}-groups",
        align=["l"] + ["r"] * (table.shape[1] - 1),
        note=note,
    )
    return out


def synthesis_tables(matrix: pd.DataFrame) -> dict[str, str]:
    """The cross-study evidence matrix."""
    cols = {"stage": "Stage"}
    for r in ROLE_CATEGORIES:
        cols[f"study1 {r}"] = f"S1: {ROLE_LABELS[r]}"
    cols.update(
        {
            "study2 segments": "S2: meaning units",
            "study2 participants": "S2: managers",
            "study3 segments": "S3: meaning units",
            "study3 participants": "S3: participants",
        }
    )
    m = matrix[[c for c in cols if c in matrix]].rename(columns=cols)
    for c in m.columns[1:]:
        m[c] = m[c].map(fmt_int)
    return {
        "synthesis": markdown_table(
            m,
            "Evidence from the three studies on each stage of the service cycle",
            "synthesis",
            align=["l"] + ["r"] * (m.shape[1] - 1),
            note="S1 counts articles by role category; S2 and S3 count meaning units placed on the"
            " cycle through their subtheme, and the participants behind them.",
        )
    }


def checklist_table(name: str, spec: Mapping[str, Any]) -> str:
    """A reporting checklist (PRISMA-ScR, COREQ) pointing each item to where it is covered.

    Section ids become cross-references, so the rendered table shows the section numbers
    of the document and a renamed section cannot silently break the checklist.
    """
    special = {"title": "Title", "abstract": "Abstract"}
    doc = spec["document"]

    def for_doc(value: Any, default: Any) -> Any:
        return value.get(doc, default) if isinstance(value, Mapping) else value

    rows = []
    for it in spec["items"]:
        where = [special.get(w, f"@{w}") for w in for_doc(it["where"], [])]
        note = for_doc(it.get("note"), None)
        if note:
            where.append(str(note))
        rows.append(
            {"Item": str(it["item"]), "Topic": it["topic"], "Reported in": "; ".join(where) or "—"}
        )
    return markdown_table(pd.DataFrame(rows), spec["caption"], name, align=["r", "l", "l"])
