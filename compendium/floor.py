"""The engine floor: every step of the DAG run bare, in one process, without Snakemake.

``make bench`` compares a real build with this: the same step functions
(:mod:`analysis.steps`) on the same files, with pandoc/typst renders and the notebooks,
but no scheduler, no per-job interpreter and no Snakemake bookkeeping. What a build costs
above it is overhead. Also used by ``tests/test_steps.py`` to drive the steps in DAG order.

Usage: ``python -m compendium.floor --root COPY`` (inside a copy of the sources: it writes
``results/`` there).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from analysis.layout import (
    DOCUMENTS,
    NOTEBOOKS,
    QUAL_STUDIES,
    QUAL_TALLIES,
    STUDY1_TALLIES,
    assemble_inputs,
    figure_inputs,
    notebook_inputs,
    study_number,
)

DATA = "data/synthetic"


@contextmanager
def inside(root: Path) -> Iterator[None]:
    """Work in ``root`` (the steps take the rules' paths, relative to the build folder)."""
    cwd = Path.cwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)


def _png(svg: str) -> str:
    return svg.removesuffix(".svg") + ".png"


def study1() -> None:
    """clean_study1, tallies_study1, stats_study1, figures_study1."""
    from analysis.steps import clean, figures, stats, tallies

    c = {
        "articles": "results/clean/study1_articles.csv",
        "prisma": "results/clean/study1_prisma.csv",
    }
    clean.clean_study1_step(
        {"extraction": f"{DATA}/study1/extraction.csv", "prisma": f"{DATA}/study1/prisma.csv"}, c
    )
    t = {k: f"results/tallies/study1/{k}.csv" for k in STUDY1_TALLIES}
    tallies.tallies_study1_step({"articles": c["articles"]}, t)
    ci = {f"{n}_ci": f"results/stats/study1/{n}_ci.csv" for n in ("role", "stage", "outcomes")}
    stats.stats_study1_step(
        {
            "articles": c["articles"],
            "role": t["role"],
            "stage": t["stage"],
            "outcomes": t["outcomes"],
        },
        {**ci, "model": "results/stats/study1/model.json"},
    )
    figs = figure_inputs()
    out = {
        f"{name}_{fmt}": figs[f"fig_s1_{name}" + ("_png" if fmt == "png" else "")]
        for name in ("flow", "role_stage", "years")
        for fmt in ("svg", "png")
    }
    figures.figures_study1_step(
        {"articles": c["articles"], "role_stage": t["role_stage"], "prisma": c["prisma"]}, out
    )


def qualitative(study: str) -> None:
    """clean_study, tallies_study, quotations, stats_study, reliability, figures_study."""
    from analysis.steps import clean, figures, stats, tallies

    c = {
        k: f"results/clean/{study}_{k}.csv"
        for k in ("participants", "codebook", "segments", "codings")
    }
    clean.clean_study_step({"qdpx": f"{DATA}/{study}/{study}.qdpx"}, c)
    t = {k: f"results/tallies/{study}/{k}.csv" for k in QUAL_TALLIES}
    tallies.tallies_study_step(c, t)
    tallies.quotations_step(c, {"bank": f"results/tallies/{study}/quotations.csv"})
    stats.stats_study_step(
        {"by_group": t["by_group"]},
        {"test": f"results/stats/{study}/group_theme_test.json"},
        seed=20240927,
    )
    stats.reliability_step(
        c,
        {
            "summary": f"results/stats/{study}/reliability.json",
            "table": f"results/stats/{study}/reliability.csv",
        },
    )
    svg = figure_inputs()[f"fig_s{study_number(study)}"]
    figures.figures_study_step(
        {"by_group": t["by_group"]}, {"svg": svg, "png": _png(svg)}, study=study
    )


def across_studies() -> None:
    """clean_stage_map, privacy, synthesis, assemble."""
    from analysis.steps import clean, privacy, render, synthesis

    codebooks = {
        f"codebook{study_number(s)}": f"results/clean/{s}_codebook.csv" for s in QUAL_STUDIES
    }
    clean.clean_stage_map_step(
        {"stage_map": f"{DATA}/stage-map.csv", **codebooks},
        {"stage_map": "results/clean/stage_map.csv"},
    )
    privacy.privacy_step(  # the raw inputs, as rules/privacy.smk hands them over
        {
            "study1_extraction": f"{DATA}/study1/extraction.csv",
            "study1_prisma": f"{DATA}/study1/prisma.csv",
            **{f"{s}_qdpx": f"{DATA}/{s}/{s}.qdpx" for s in QUAL_STUDIES},
            "stage_map": f"{DATA}/stage-map.csv",
        },
        {"record": "results/privacy/gate.json"},
    )
    svg = figure_inputs()["fig_synthesis"]
    synthesis.synthesis_step(
        {
            "articles": "results/clean/study1_articles.csv",
            "stage_map": "results/clean/stage_map.csv",
            **{
                f"segments{study_number(s)}": f"results/clean/{s}_segments.csv"
                for s in QUAL_STUDIES
            },
        },
        {
            "matrix": "results/synthesis/matrix.csv",
            "shares": "results/synthesis/shares.csv",
            "svg": svg,
            "png": _png(svg),
        },
    )
    render.assemble_step(
        assemble_inputs(),
        {"variables": "results/render/_variables.yml", "tables": "results/render/tables"},
        mode="synthetic",
    )


def documents(formats: Sequence[str] = ("html", "pdf", "docx")) -> None:
    """provenance, then one render job per document (staging and every format)."""
    from analysis.provenance import code_files
    from analysis.steps import render

    figs = figure_inputs()
    render.provenance_step(
        {
            "variables": "results/render/_variables.yml",
            "tables": "results/render/tables",
            "code": code_files(),
            **{f"in_{k}": v for k, v in assemble_inputs().items()},
            **figs,
        },
        {"record": "results/render/provenance.json"},
        outputs={"assemble": ["results/render/_variables.yml", "results/render/tables"]},
    )
    for doc in DOCUMENTS:
        render.render_step(
            {
                **figs,
                "qmd": f"manuscript/{doc}/index.qmd",
                "quarto": "manuscript/_quarto.yml",
                "bib": "manuscript/references.bib",
                "csl": "manuscript/apa.csl",
                "variables": "results/render/_variables.yml",
                "provenance": "results/render/provenance.json",
                "tables": "results/render/tables",
                "privacy": "results/privacy/gate.json",
            },
            {
                **{fmt: f"results/manuscripts/{doc}.{fmt}" for fmt in formats},
                "folder": f"results/render/{doc}",
            },
            formats=list(formats),
            synthetic=True,
            engine="pandoc",
        )


def verification() -> None:
    """claims and run_record."""
    from analysis.steps import verify

    verify.claims_step(
        {"claims": "config/claims.yaml", "schema": "workflow/schemas/claims.schema.json"},
        {"csv": "results/verify/claims.csv", "report": "results/verify/report.html"},
        exploratory=False,
    )
    verify.run_record_step(
        {},
        {"config": "results/verify/config.yaml", "software": "results/verify/software.csv"},
        config={"mode": "synthetic"},
    )


def notebooks() -> None:
    """Every notebook executed (one kernel start each, as in the DAG)."""
    from analysis.steps.notebooks import notebook_step

    inputs = notebook_inputs()
    for nb in NOTEBOOKS:
        notebook_step(
            {"notebook": f"notebooks/{nb}.ipynb", **inputs[nb]},
            {"ipynb": f"results/notebooks/{nb}.ipynb", "html": f"results/notebooks/{nb}.html"},
            synthetic=True,
        )


def landing() -> None:
    """The landing page ``results/index.html``."""
    from analysis.steps import render

    render.landing_step(
        {
            "staged": [f"results/render/{doc}" for doc in DOCUMENTS],
            "claims": "results/verify/claims.csv",
            "provenance": "results/render/provenance.json",
        },
        {"page": "results/index.html"},
        documents=list(DOCUMENTS),
        formats=["html", "pdf", "docx"],
        notebooks=list(NOTEBOOKS),
        synthetic=True,
    )


def analysis_steps() -> None:
    """Everything up to the documents' inputs (what ``tests/test_steps.py`` needs)."""
    study1()
    for study in QUAL_STUDIES:
        qualitative(study)
    across_studies()


def run_all(root: Path) -> dict[str, float]:
    """The whole DAG's work in ``root``; seconds per part."""
    parts = {
        "analysis": analysis_steps,
        "documents": documents,
        "verification": verification,
        "notebooks": notebooks,
        "landing": landing,
    }
    seconds: dict[str, float] = {}
    with inside(root):
        for name, part in parts.items():
            start = time.perf_counter()
            part()
            seconds[name] = round(time.perf_counter() - start, 2)
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m compendium.floor", description=__doc__)
    ap.add_argument("--root", type=Path, required=True, help="a copy of the sources")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    parts = run_all(args.root.resolve())
    print({**parts, "total": round(time.perf_counter() - start, 2)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
