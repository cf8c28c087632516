"""Steps of ``rules/figures.smk``: the studies' figures as SVG (HTML, PDF) and PNG (DOCX).

Titles and labels come from :data:`analysis.categories.FIGURE_TEXT`; matplotlib is loaded
by :mod:`analysis.figures` when a step runs.
"""

from __future__ import annotations

from analysis.categories import EARLY_STAGES, FIGURE_TEXT, YEAR_BAR_LABELS
from analysis.io import read_csv
from analysis.steps._common import Paths, read_articles


def figures_study1_step(inp: Paths, out: Paths) -> None:
    """The PRISMA flow diagram, the role-by-stage heatmap and the articles per year."""
    import pandas as pd

    from analysis import figures, stats
    from analysis.assemble import ROLE_LABELS
    from analysis.prisma import flow_from_counts
    from analysis.prisma_diagram import draw_flow

    figures.save(
        draw_flow(flow_from_counts(read_csv(inp["prisma"]))), out["flow_svg"], out["flow_png"]
    )
    rs = read_csv(inp["role_stage"]).set_index("role_category").astype(int)
    rs.index = [ROLE_LABELS[r] for r in rs.index]
    text = FIGURE_TEXT["s1-role-stage"]
    figures.save(
        figures.heatmap(rs, text["title"], xlabel=text["xlabel"]),
        out["role_stage_svg"],
        out["role_stage_png"],
    )
    articles = read_articles(inp["articles"])
    involved = stats.any_cocreation(articles["stages"], EARLY_STAGES)
    years = range(int(articles["year"].min()), int(articles["year"].max()) + 1)
    tab = pd.crosstab(articles["year"], involved).reindex(index=years, columns=[0, 1], fill_value=0)
    text = FIGURE_TEXT["s1-years"]
    figures.save(
        figures.stacked_bars(
            tab,
            text["title"],
            xlabel=text["xlabel"],
            ylabel=text["ylabel"],
            labels=list(YEAR_BAR_LABELS),
        ),
        out["years_svg"],
        out["years_png"],
    )


def figures_study_step(inp: Paths, out: Paths, study: str) -> None:
    """Meaning units per theme by group, for one qualitative study."""
    from analysis import figures

    by = read_csv(inp["by_group"]).set_index("theme").astype(int)
    text = FIGURE_TEXT[f"{study}-groups"]
    figures.save(
        figures.grouped_bars(by, text["title"], ylabel=text["ylabel"]), out["svg"], out["png"]
    )
