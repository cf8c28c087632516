"""Assemble the STC reporting of Studies 2 and 3: reliability, hierarchy and quotations.

Split from :mod:`analysis.assemble` (issue #12's size rule); like it, this is the one place
that turns the qualitative studies' reliability, condensation hierarchy and quotation bank
into the strings and Markdown tables the manuscripts include.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.assemble import join_words
from analysis.tables import fmt_int, fmt_pct, markdown_table


def _stat(value: Any) -> str:
    """A kappa or alpha with two decimals; an undefined statistic (no variation) as '—'."""
    return "—" if value is None or pd.isna(value) else f"{float(value):.2f}"


def reliability_variables(summary: Mapping[str, Any], segments: int) -> dict[str, Any]:
    """Sample and overall agreement of the double-coded subset, for the methods text."""
    coders = list(summary.get("coders", []))
    out: dict[str, Any] = {
        "coders": fmt_int(len(coders)),
        "units": fmt_int(summary.get("units_double_coded", 0)),
        "share": fmt_pct(100 * summary.get("units_double_coded", 0) / segments),
        "unit": "meaning unit (one coded passage of a transcript)",
    }
    cohen = summary.get("cohen_overall") or {}
    fleiss = summary.get("fleiss_overall") or {}
    alpha = summary.get("krippendorff_alpha") or {}
    out["cohen"] = _stat(cohen.get("kappa"))
    ci = cohen.get("ci") or [None, None]
    out["cohen_ci"] = f"{_stat(ci[0])}–{_stat(ci[1])}"
    out["agree"] = fmt_pct(cohen.get("agree_pct") or 0)
    out["fleiss"] = _stat(fleiss.get("kappa"))
    out["alpha"] = _stat(alpha.get("alpha"))
    return out


def reliability_table(prefix: str, table: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    """Agreement per code group and overall on the double-coded meaning units."""
    coders = list(summary.get("coders", []))
    rows = [
        {
            "Code group": f"{r.code}",
            "Agreement (%)": fmt_pct(r.agree_pct or 0),
            "Cohen's κ": _stat(r.cohen_kappa),
            "Fleiss' κ": _stat(r.fleiss_kappa),
            "Krippendorff's α": _stat(r.krippendorff_alpha),
        }
        for r in table.itertuples(index=False)
    ]
    cohen = summary.get("cohen_overall") or {}
    fleiss = summary.get("fleiss_overall") or {}
    rows.append(
        {
            "Code group": "**All code groups (nominal)**",
            "Agreement (%)": fmt_pct(cohen.get("agree_pct") or 0),
            "Cohen's κ": _stat(cohen.get("kappa")),
            "Fleiss' κ": _stat(fleiss.get("kappa")),
            "Krippendorff's α": _stat((summary.get("krippendorff_alpha") or {}).get("alpha")),
        }
    )
    pair = " and ".join(cohen.get("coders", coders[:2]))
    note = (
        f"Unit of analysis: the meaning unit; {fmt_int(summary.get('units_double_coded', 0))}"
        f" units coded independently by {len(coders)} coders. Per code group, each coder's"
        " decision is whether the code group applies to the unit; overall, which code group"
        f" the unit was given. Cohen's κ compares {pair}; Fleiss' κ and Krippendorff's α"
        " (nominal) use every coder; — marks a code group without variation on these units"
        " (applied by no coder, or by every coder to every unit), where κ is undefined."
    )
    return markdown_table(
        pd.DataFrame(rows),
        "Intercoder reliability on the double-coded meaning units",
        f"{prefix}-reliability",
        align=["l", "r", "r", "r", "r"],
        note=note,
    )


def hierarchy_table(prefix: str, hierarchy: pd.DataFrame, group_label: str) -> str:
    """The condensation at every level: meaning units and coverage, overall and by group."""
    groups = list(dict.fromkeys(hierarchy["group"]))
    nodes = hierarchy[hierarchy["group"] == "all"].reset_index(drop=True)
    indent = {"theme": "**{}**", "subgroup": "— {}", "code group": "— — {}"}
    name = {"theme": "theme", "subgroup": "subtheme", "code group": "code"}
    table = pd.DataFrame(
        {
            "Theme / subgroup / code group": [
                indent[n.level].format(getattr(n, name[n.level])) for n in nodes.itertuples()
            ]
        }
    )
    for g in groups:
        part = hierarchy[hierarchy["group"] == g].reset_index(drop=True)
        head = "All" if g == "all" else g
        table[head] = [f"{int(r.units)} ({fmt_pct(r.coverage_pct)}%)" for r in part.itertuples()]
    note = (
        "Cells: meaning units (coverage: the share of the group's coded text, in "
        "characters, that lies in the node)."
    )
    return markdown_table(
        table,
        f"Systematic text condensation: meaning units and coverage at"
        f" each level, overall and by {group_label}",
        f"{prefix}-hierarchy",
        align=["l"] + ["r"] * len(groups),
        note=note,
    )


def _voiced(row: Any, noun: str, group_label: str) -> str:
    """'Voiced by 12 of 17 managers, in every focus group (FG1: 3 of 5; ...); 34 meaning
    units.' -- the n-of-N tally behind a subgroup and where its voices came from."""
    parts = [p.rsplit(": ", 1) for p in str(row.by_group).split("; ")]
    counts = {g: tuple(int(x) for x in t.split(" of ")) for g, t in parts}
    share = {g: n / m if m else 0.0 for g, (n, m) in counts.items()}
    spoke = [g for g in counts if counts[g][0] > 0]
    where = (
        f"in every {group_label}"
        if len(spoke) == len(parts)
        else f"only in {join_words(spoke)}"
        if spoke
        else "in no group"
    )
    text = (
        f"Voiced by {fmt_int(row.voiced_by)} of {fmt_int(row.of)} {noun}, {where} "
        f"({row.by_group}); {fmt_int(row.units)} meaning units."
    )
    top, low = max(share.values()), min(share.values())
    if top == low:
        return text + f" Voiced equally widely in every {group_label}."
    widest = join_words([g for g in counts if share[g] == top])
    narrowest = join_words([g for g in counts if share[g] == low])
    return text + (
        f" Most widely voiced in {widest}, least widely in {narrowest} (share of"
        " members contributing)."
    )


def quotation_blocks(
    condensates: pd.DataFrame,
    bank: pd.DataFrame,
    rule: str,
    synthetic: bool,
    noun: str,
    group_label: str,
) -> dict[int, str]:
    """Markdown per theme (numbered in codebook order): the STC report of each subgroup.

    Per subgroup: a subheading with its name, the condensate, the n-of-N "voiced by" tally
    and two to four quotations, each labelled with the speaker's pseudonym and group. On
    synthetic data the condensate and every attribution say so, so that no sentence written
    for the compendium can pass for the analysts' or a participant's words; key 0 is the
    selection rule.
    """
    tag = " (synthetic meaning unit)" if synthetic else ""
    ctag = " (synthetic, written for this compendium)" if synthetic else ""
    blocks: dict[int, str] = {}
    for i, theme in enumerate(dict.fromkeys(condensates["theme"]), start=1):
        parts = []
        for c in condensates[condensates["theme"] == theme].itertuples(index=False):
            quotes = bank[(bank["theme"] == theme) & (bank["subtheme"] == c.subtheme)]
            lines = [
                f"### {c.subtheme} {{.unnumbered}}\n",
                f"*Condensate{ctag}:* \u201c{c.condensate}\u201d\n",
                _voiced(c, noun, group_label) + "\n",
            ]
            lines += [
                f"> {q.text}\n>\n> — {q.quote_label}{tag}\n" for q in quotes.itertuples(index=False)
            ]
            parts.append("\n".join(lines))
        blocks[i] = "\n".join(parts)
    blocks[0] = f"Quotations were chosen by a fixed rule: {rule[0].lower()}{rule[1:]}\n"
    return blocks
