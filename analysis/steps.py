"""One function per DAG rule: read the rule's inputs, call the pure functions, write outputs.

Snakemake scripts in ``workflow/scripts/`` call exactly one of these with the paths from the
``snakemake`` object, so the whole pipeline can also be driven (and tested) from Python
without Snakemake. Every write is atomic (:mod:`analysis.io`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import (
    assemble,
    figures,
    privacy,
    quotations,
    reliability,
    stats,
    stc,
    synthesis,
    tallies,
)
from analysis.categories import EARLY_STAGES
from analysis.clean import clean_stage_map, clean_study, clean_study1
from analysis.io import (
    atomic_dir,
    read_csv,
    read_json,
    read_numbers_csv,
    read_yaml,
    write_csv,
    write_json,
    write_text,
    write_yaml,
)
from analysis.prisma import flow_from_counts
from analysis.qdpx import read_qdpx

Paths = Mapping[str, str]

GROUP_LABEL = {"study2": "focus group", "study3": "participant group"}


def _articles(path: str) -> pd.DataFrame:
    df = read_csv(path)
    return df.assign(year=df["year"].astype(int))


def _counts(path: str) -> pd.DataFrame:
    return read_csv(path).assign(n=lambda d: d["n"].astype(int))


# ----------------------------------------------------------------------------- clean


def clean_study1_step(inp: Paths, out: Paths) -> None:
    articles, counts = clean_study1(inp["extraction"], inp["prisma"])
    write_csv(articles, out["articles"])
    write_csv(counts, out["prisma"])


def clean_study_step(inp: Paths, out: Paths) -> None:
    """A qualitative study from its REFI-QDA project, or from the three CSV sheets."""
    if "qdpx" in inp:
        t, codings = stc.coded_study_from_qdpx(inp["qdpx"])
    else:
        t = clean_study(inp["participants"], inp["codebook"], inp["segments"])
        codings = stc.codings_from_segments(t.segments)
    write_csv(t.participants, out["participants"])
    write_csv(t.codebook, out["codebook"])
    write_csv(t.segments, out["segments"])
    write_csv(codings, out["codings"])


def clean_stage_map_step(inp: Paths, out: Paths) -> None:
    codebooks = {"study2": read_csv(inp["codebook2"]), "study3": read_csv(inp["codebook3"])}
    write_csv(clean_stage_map(inp["stage_map"], codebooks), out["stage_map"])


# ---------------------------------------------------------------------------- privacy


def privacy_step(inp: Paths, out: Paths, data_dir: str = "") -> None:
    """Scan every text that can reach an output; stop the build on any hit.

    ``inp["names"]``, when given, is the authors' private list of participants' real names;
    it is read here and never written anywhere. ``qdpx_*`` inputs are the raw REFI-QDA
    projects: their whole transcripts, case names and values, and every description.
    """
    inp = dict(inp)
    names_file = inp.pop("names", "")
    names = privacy.load_name_list(names_file) if names_file else []
    columns = {"participants": ["participant_id", "label", "group", "session"],
               "codebook": ["theme", "subtheme", "code", "description"],
               "segments": ["text"],
               "articles": ["first_author", "country", "peer_title"]}
    findings: list[privacy.Finding] = []
    scanned: dict[str, int] = {}
    for name, path in sorted(inp.items()):
        if name.startswith("qdpx_"):
            # an absolute path is the authors' private folder: name the file, not the folder
            label = (f"<data_dir>/{Path(path).relative_to(data_dir).as_posix()}"
                     if Path(path).is_absolute() else path)
            items = privacy.project_texts(read_qdpx(path), label)
            findings += privacy.scan_texts(items, names=names)
            scanned[label] = len(items)
            continue
        kind = next(k for k in columns if name.endswith(k))
        df = read_csv(path)
        findings += privacy.scan_frame(df, columns[kind], path, names=names)
        scanned[path] = int(len(df) * len(columns[kind]))
    record = privacy.summary_record(findings, scanned)
    privacy.check(findings)
    write_json(record, out["record"])


# ---------------------------------------------------------------------------- tallies


def tallies_study1_step(inp: Paths, out: Paths) -> None:
    for name, df in tallies.study1_tallies(_articles(inp["articles"])).items():
        write_csv(df, out[name])


def tallies_study_step(inp: Paths, out: Paths, group: str = "group") -> None:
    t = tallies.segment_tallies(read_csv(inp["segments"]), read_csv(inp["participants"]),
                                read_csv(inp["codebook"]), group)
    for name, df in t.items():
        write_csv(df, out[name])


def quotations_step(inp: Paths, out: Paths, group: str = "group") -> None:
    """The quotations bank: one meaning unit per subgroup, by the documented rule."""
    bank = quotations.quotation_bank(read_csv(inp["segments"]), read_csv(inp["participants"]),
                                     read_csv(inp["codebook"]), group)
    write_csv(bank, out["bank"])


# ------------------------------------------------------------------------------ stats


def stats_study1_step(inp: Paths, out: Paths) -> None:
    """Wilson intervals for every reported proportion and the logistic trend."""
    articles = _articles(inp["articles"])
    write_csv(stats.with_wilson(_counts(inp["role"])), out["role_ci"])
    write_csv(stats.with_wilson(_counts(inp["stage"])), out["stage_ci"])
    write_csv(stats.with_wilson(_counts(inp["outcomes"])), out["outcomes_ci"])
    involved = stats.any_cocreation(articles["stages"], EARLY_STAGES)
    early = stats.with_wilson(tallies.count_by(involved.to_frame("any"), "any", order=[1]))
    early = early.drop(columns="any")
    write_json({"trend": stats.logistic_trend(articles["year"], involved),
                "early": early.iloc[0].to_dict()}, out["model"])


def reliability_step(inp: Paths, out: Paths) -> None:
    """Intercoder reliability on the double-coded meaning units, per code group and overall.

    Cohen's kappa compares the primary coder (the one who coded every unit) with the
    first other coder; Fleiss' kappa and Krippendorff's alpha use every coder.
    """
    codings = read_csv(inp["codings"])
    coders = stc.coders_by_volume(codings)
    if len(coders) < 2:
        summary: dict[str, Any] = {"unit_of_analysis": reliability.UNIT_OF_ANALYSIS,
                                   "coders": coders, "units_double_coded": 0}
        table = pd.DataFrame(columns=reliability.TABLE_COLUMNS)
    else:
        summary = reliability.reliability_summary(codings, unit="unit_id", code="code",
                                                  cohen_pair=coders[:2])
        table = reliability.per_code_table(summary, read_csv(inp["codebook"]))
    write_json(summary, out["summary"])
    write_csv(table, out["table"])


def stats_study_step(inp: Paths, out: Paths, seed: int) -> None:
    table = read_csv(inp["by_group"]).set_index("theme").astype(int)
    write_json(stats.contingency_test(table, seed=seed), out["test"])


# --------------------------------------------------------------------------- figures


def figures_study1_step(inp: Paths, out: Paths) -> None:
    from analysis.prisma_diagram import draw_flow

    figures.save(draw_flow(flow_from_counts(read_csv(inp["prisma"]))), out["flow_svg"],
                 out["flow_png"])
    rs = read_csv(inp["role_stage"]).set_index("role_category").astype(int)
    rs.index = [assemble.ROLE_LABELS[r] for r in rs.index]
    figures.save(figures.heatmap(rs, "Articles by role category and service-cycle stage",
                                 xlabel="Service-cycle stage"), out["role_stage_svg"],
                 out["role_stage_png"])
    articles = _articles(inp["articles"])
    involved = stats.any_cocreation(articles["stages"], EARLY_STAGES)
    years = range(int(articles["year"].min()), int(articles["year"].max()) + 1)
    tab = pd.crosstab(articles["year"], involved).reindex(index=years, columns=[0, 1],
                                                          fill_value=0)
    figures.save(figures.stacked_bars(
        tab, "Included articles per publication year", xlabel="Publication year",
        ylabel="Articles", labels=["no co-creation stage", "co-commissioning or co-design"]),
        out["years_svg"], out["years_png"])


def figures_study_step(inp: Paths, out: Paths, title: str) -> None:
    by = read_csv(inp["by_group"]).set_index("theme").astype(int)
    figures.save(figures.grouped_bars(by, title, ylabel="Meaning units"), out["svg"], out["png"])


# ------------------------------------------------------------------------- synthesis


def synthesis_step(inp: Paths, out: Paths) -> None:
    matrix = synthesis.evidence_matrix(
        _articles(inp["articles"]),
        {"study2": read_csv(inp["segments2"]), "study3": read_csv(inp["segments3"])},
        read_csv(inp["stage_map"]))
    sh = synthesis.shares(matrix)
    write_csv(matrix, out["matrix"])
    write_csv(sh, out["shares"])
    figures.save(figures.heatmap(sh.set_index("stage"),
                                 "Share of each study's evidence per service-cycle stage (%)",
                                 fmt="{:.1f}"), out["svg"], out["png"])


# ---------------------------------------------------------------------------- verify


def run_record_step(inp: Paths, out: Paths, config: Mapping[str, Any]) -> None:
    """The run's configuration (already redacted by :func:`privacy.public_config`) and the
    versions of every installed package and of pandoc."""
    from importlib import metadata

    import pypandoc

    write_yaml(dict(config), out["config"])
    packages = sorted({(d.metadata["Name"].lower(), d.version) for d in metadata.distributions()})
    rows = [("pandoc (pypandoc-binary)", pypandoc.get_pandoc_version()), *packages]
    write_csv(pd.DataFrame(rows, columns=["software", "version"]), out["software"])


# -------------------------------------------------------------------------- assemble


def _load_many(paths: Paths, prefix: str) -> dict[str, pd.DataFrame]:
    return {k[len(prefix):]: read_numbers_csv(v) for k, v in paths.items()
            if k.startswith(prefix)}


def assemble_step(inp: Paths, out: Paths, mode: str) -> None:
    """Write the variables file and every Markdown table the documents include."""
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
    for k, study in ((2, "study2"), (3, "study3")):
        tq = _load_many(inp, f"s{k}_")
        parts = read_csv(inp[f"participants{k}"])
        segs = read_csv(inp[f"segments{k}"])
        test = read_json(inp[f"test{k}"])
        variables[study] = assemble.qualitative_variables(parts, segs, tq, test, "group")
        prefix = study.replace("study", "s")
        tables |= assemble.qualitative_tables(prefix, tq, GROUP_LABEL[study], test, parts,
                                              "group")
        summary = read_json(inp[f"reliability{k}"])
        variables[study]["reliability"] = assemble.reliability_variables(summary, len(segs))
        tables[f"{prefix}-reliability"] = assemble.reliability_table(
            prefix, read_numbers_csv(inp[f"reliability_table{k}"]), summary)
        tables[f"{prefix}-hierarchy"] = assemble.hierarchy_table(prefix, tq["hierarchy"],
                                                                 GROUP_LABEL[study])
        blocks = assemble.quotation_blocks(read_csv(inp[f"quotations{k}"]), quotations.RULE,
                                           synthetic=mode == "synthetic")
        for i, text in blocks.items():
            tables[f"{prefix}-quotes-{'rule' if i == 0 else f'theme{i}'}"] = text
    matrix = read_numbers_csv(inp["matrix"])
    shares = read_numbers_csv(inp["shares"])
    variables["synthesis"] = assemble.synthesis_variables(matrix, shares)
    tables |= assemble.synthesis_tables(matrix)
    for name, spec in sorted(read_yaml(inp["checklists"]).items()):
        tables[name] = assemble.checklist_table(name, spec)
    variables["nb"] = assemble.norwegian({k: v for k, v in variables.items() if k != "data"})
    write_yaml(variables, out["variables"])
    with atomic_dir(out["tables"]) as tmp:
        for name, text in sorted(tables.items()):
            write_text(text, tmp / f"{name}.md")


def provenance_step(inp: Paths, out: Paths, outputs: Mapping[str, list[str]]) -> None:
    """Trace every value, table and figure to its rule and input checksums; one appendix
    per document listing what that document shows."""
    from analysis import provenance

    inputs = {k[len("in_"):]: v for k, v in inp.items() if k.startswith("in_")}
    figures = {k: v for k, v in inp.items() if k.startswith("fig_")}
    tables = sorted(p.stem for p in Path(inp["tables"]).glob("*.md"))
    record = provenance.record(read_yaml(inp["variables"]), tables, figures, inputs, outputs,
                               provenance.code_version(list(inp["code"])))
    texts = {Path(q).parent.name: Path(q).read_text(encoding="utf-8") for q in inp["qmds"]}
    record["word_counts"] = provenance.word_counts(texts, read_yaml(inp["variables"]))
    for doc, words in record["word_counts"].items():  # shown in the build's output
        logging.getLogger(__name__).info("%s: %d words of main text", doc, words)
    write_json(record, out["record"])
    with atomic_dir(out["appendices"]) as tmp:
        for qmd in sorted(inp["qmds"]):
            doc = Path(qmd).parent.name
            text = Path(qmd).read_text(encoding="utf-8")
            write_text(provenance.appendix(text, record), tmp / f"{doc}.md")


def stage_document_step(inp: Paths, out: Paths) -> None:
    """Lay out one document as a Quarto project folder the render engines can read.

    The folder holds the document's source, the shared ``_quarto.yml``, the bibliography,
    the APA CSL style shipped in ``manuscript/``, the generated variables and every
    generated table and figure. It is built beside the target and renamed into place.
    """
    with atomic_dir(out["folder"]) as tmp:
        shutil.copyfile(inp["qmd"], tmp / "index.qmd")
        shutil.copyfile(inp["quarto"], tmp / "_quarto.yml")
        shutil.copyfile(inp["bib"], tmp / "references.bib")
        shutil.copyfile(inp["csl"], tmp / "apa.csl")
        shutil.copyfile(inp["variables"], tmp / "_variables.yml")
        shutil.copyfile(Path(inp["provenance"]) / f"{Path(inp['qmd']).parent.name}.md",
                        tmp / "provenance.md")
        shutil.copytree(inp["tables"], tmp / "tables")
        (tmp / "figures").mkdir()
        for key_, path in sorted(inp.items()):
            if key_.startswith("fig_"):
                shutil.copyfile(path, tmp / "figures" / Path(path).name)


# ---------------------------------------------------------------------------- render


def render_step(inp: Paths, out: Paths, fmt: str, synthetic: bool, engine: str) -> None:
    """Render one staged document to one format (quarto if on PATH, else pandoc + typst)."""
    from analysis.render import render

    render(inp["folder"], out["document"], fmt, synthetic=synthetic, engine=engine)


# ------------------------------------------------------------------------- notebooks


def notebook_step(inp: Paths, out: Paths, synthetic: bool) -> None:
    """Execute a study notebook on the DAG's outputs; save it and its HTML supplement."""
    from analysis.notebooks import execute

    inp = dict(inp)
    source = inp.pop("notebook")
    execute(source, inp, out["ipynb"], out["html"], synthetic=synthetic)
