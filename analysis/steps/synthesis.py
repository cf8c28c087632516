"""Step of ``rules/synthesis.smk``: each study's evidence on the service cycle."""

from __future__ import annotations

from analysis.categories import FIGURE_TEXT
from analysis.io import read_csv, write_csv
from analysis.layout import QUAL_STUDIES, study_number
from analysis.steps._common import Paths, read_articles


def synthesis_step(inp: Paths, out: Paths) -> None:
    """The evidence matrix, each study's shares per stage, and their heatmap."""
    from analysis import figures, synthesis

    segments = {s: read_csv(inp[f"segments{study_number(s)}"]) for s in QUAL_STUDIES}
    matrix = synthesis.evidence_matrix(
        read_articles(inp["articles"]), segments, read_csv(inp["stage_map"])
    )
    sh = synthesis.shares(matrix)
    write_csv(matrix, out["matrix"])
    write_csv(sh, out["shares"])
    figures.save(
        figures.heatmap(sh.set_index("stage"), FIGURE_TEXT["synthesis"]["title"], fmt="{:.1f}"),
        out["svg"],
        out["png"],
    )
