"""Steps of ``rules/render.smk``: what the documents read (variables, tables, provenance),
each document laid out as a Quarto project, and its rendering to HTML, PDF and DOCX."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.io import (
    atomic_dir,
    read_csv,
    read_json,
    read_numbers_csv,
    read_yaml,
    write_json,
    write_text,
    write_yaml,
)
from analysis.layout import GROUP_LABEL, QUAL_STUDIES, study_number
from analysis.steps._common import Paths

#: What the participants of each qualitative study are called in the "voiced by" tallies.
PARTICIPANTS_NOUN = {"study2": "managers", "study3": "participants"}

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd


def _load_many(paths: Paths, prefix: str) -> dict[str, pd.DataFrame]:
    return {k[len(prefix) :]: read_numbers_csv(v) for k, v in paths.items() if k.startswith(prefix)}


def _qualitative(
    inp: Paths, study: str, mode: str, variables: dict[str, Any], tables: dict[str, str]
) -> None:
    """One qualitative study's variables and tables (added to ``variables``/``tables``)."""
    from analysis import assemble, assemble_stc, quotations

    k = study_number(study)
    tq = _load_many(inp, f"s{k}_")
    parts = read_csv(inp[f"participants{k}"])
    segs = read_csv(inp[f"segments{k}"])
    variables[study] = assemble.qualitative_variables(parts, segs, tq, "group")
    prefix = f"s{k}"
    tables |= assemble.qualitative_tables(prefix, tq, GROUP_LABEL[study], parts, "group")
    summary = read_json(inp[f"reliability{k}"])
    variables[study]["reliability"] = assemble_stc.reliability_variables(summary, len(segs))
    tables[f"{prefix}-reliability"] = assemble_stc.reliability_table(
        prefix, read_numbers_csv(inp[f"reliability_table{k}"]), summary
    )
    tables[f"{prefix}-hierarchy"] = assemble_stc.hierarchy_table(
        prefix, tq["hierarchy"], GROUP_LABEL[study]
    )
    blocks = assemble_stc.quotation_blocks(
        read_numbers_csv(inp[f"condensates{k}"]),
        read_csv(inp[f"quotations{k}"]),
        quotations.RULE,
        mode == "synthetic",
        PARTICIPANTS_NOUN[study],
        GROUP_LABEL[study],
    )
    for i, text in blocks.items():
        tables[f"{prefix}-quotes-{'rule' if i == 0 else f'theme{i}'}"] = text


def assemble_step(inp: Paths, out: Paths, mode: str) -> None:
    """Write the variables file and every Markdown table the documents include."""
    from analysis import assemble, norwegian
    from analysis.prisma import flow_from_counts

    flow = flow_from_counts(read_csv(inp["prisma"]))
    t1 = _load_many(inp, "s1_")
    s1_stats: dict[str, Any] = {
        "role_ci": read_numbers_csv(inp["role_ci"]),
        "stage_ci": read_numbers_csv(inp["stage_ci"]),
        "outcomes_ci": read_numbers_csv(inp["outcomes_ci"]),
        "role_stage": t1["role_stage"],
        **read_json(inp["model"]),
    }
    variables: dict[str, Any] = {
        "data": {"mode": mode, "synthetic": "yes" if mode == "synthetic" else "no"},
        "study1": assemble.study1_variables(flow, t1, s1_stats),
    }
    tables = assemble.study1_tables(flow, t1, s1_stats)
    for study in QUAL_STUDIES:
        _qualitative(inp, study, mode, variables, tables)
    matrix = read_numbers_csv(inp["matrix"])
    shares = read_numbers_csv(inp["shares"])
    variables["synthesis"] = assemble.synthesis_variables(matrix, shares)
    tables |= assemble.synthesis_tables(matrix)
    for name, spec in sorted(read_yaml(inp["checklists"]).items()):
        tables[name] = assemble.checklist_table(name, spec)
    variables["nb"] = norwegian.norwegian({k: v for k, v in variables.items() if k != "data"})
    write_yaml(variables, out["variables"])
    with atomic_dir(out["tables"]) as tmp:
        for name, text in sorted(tables.items()):
            write_text(text, tmp / f"{name}.md")


def provenance_step(inp: Paths, out: Paths, outputs: Mapping[str, list[str]]) -> None:
    """Trace every value, table and figure to its rule and input checksums.

    The record does not read the documents' sources: each document's appendix is written
    when the document is staged (:func:`render_step`), so a prose edit re-runs
    that document's jobs only, not the record and every other document.
    """
    from analysis import provenance

    inputs = {k[len("in_") :]: v for k, v in inp.items() if k.startswith("in_")}
    figures = {k: v for k, v in inp.items() if k.startswith("fig_")}
    tables = sorted(p.stem for p in Path(inp["tables"]).glob("*.md"))
    record = provenance.record(
        read_yaml(inp["variables"]),
        tables,
        figures,
        inputs,
        outputs,
        provenance.code_version(list(inp["code"])),
    )
    write_json(record, out["record"])


def render_step(inp: Paths, out: Paths, formats: list[str], synthetic: bool, engine: str) -> None:
    """Stage one document as a complete Quarto project and render it in every format
    (one job per document: :func:`analysis.render.stage.stage_and_render`)."""
    from analysis.render.stage import stage_and_render

    stage_and_render(inp, out, formats=formats, synthetic=synthetic, engine=engine)


def landing_step(
    inp: Paths,
    out: Paths,
    documents: list[str],
    formats: list[str],
    notebooks: list[str],
    synthetic: bool,
) -> None:
    """Write ``results/index.html`` (:mod:`analysis.render.landing`)."""
    from analysis.render.landing import landing_step as write_landing

    write_landing(
        inp, out, documents=documents, formats=formats, notebooks=notebooks, synthetic=synthetic
    )
