# Assemble what the documents read, lay out each document as a Quarto project, render it.
import sys

from analysis.provenance import code_files

if config["render"]["engine"] != "pandoc":
    print(
        f"render engine {config['render']['engine']!r}: the documents depend on the Quarto "
        "version installed; `make verify` checks the pandoc engine's bytes and does not apply",
        file=sys.stderr,
    )

FIGURES = {
    "fig_s1_flow": rules.figures_study1.output.flow_svg,
    "fig_s1_flow_png": rules.figures_study1.output.flow_png,
    "fig_s1_role_stage": rules.figures_study1.output.role_stage_svg,
    "fig_s1_role_stage_png": rules.figures_study1.output.role_stage_png,
    "fig_s1_years": rules.figures_study1.output.years_svg,
    "fig_s1_years_png": rules.figures_study1.output.years_png,
    "fig_s2": "results/figures/study2-groups.svg",
    "fig_s2_png": "results/figures/study2-groups.png",
    "fig_s3": "results/figures/study3-groups.svg",
    "fig_s3_png": "results/figures/study3-groups.png",
    "fig_synthesis": rules.synthesis.output.svg,
    "fig_synthesis_png": rules.synthesis.output.png,
}


# The assemble rule's inputs by name; the provenance rule checksums the same files.
ASSEMBLE_INPUTS = dict(
    prisma=rules.clean_study1.output.prisma,
    **{f"s1_{t}": f"results/tallies/study1/{t}.csv" for t in STUDY1_TALLIES},
    role_ci=rules.stats_study1.output.role_ci,
    stage_ci=rules.stats_study1.output.stage_ci,
    outcomes_ci=rules.stats_study1.output.outcomes_ci,
    model=rules.stats_study1.output.model,
    **{
        f"s{k}_{t}": f"results/tallies/study{k}/{t}.csv"
        for k in (2, 3)
        for t in QUAL_TALLIES
    },
    **{f"participants{k}": f"results/clean/study{k}_participants.csv" for k in (2, 3)},
    **{f"segments{k}": f"results/clean/study{k}_segments.csv" for k in (2, 3)},
    **{f"test{k}": f"results/stats/study{k}/group_theme_test.json" for k in (2, 3)},
    **{f"reliability{k}": f"results/stats/study{k}/reliability.json" for k in (2, 3)},
    **{
        f"reliability_table{k}": f"results/stats/study{k}/reliability.csv"
        for k in (2, 3)
    },
    **{f"quotations{k}": f"results/tallies/study{k}/quotations.csv" for k in (2, 3)},
    matrix=rules.synthesis.output.matrix,
    shares=rules.synthesis.output.shares,
    checklists="config/checklists.yaml",
)


rule assemble:
    input:
        **ASSEMBLE_INPUTS,
    output:
        variables="results/render/_variables.yml",
        tables=directory("results/render/tables"),
    log:
        "logs/render/assemble.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        mode=config["mode"],
    script:
        "../scripts/assemble.py"


rule provenance:
    input:
        **{f"in_{k}": v for k, v in ASSEMBLE_INPUTS.items()},
        **FIGURES,
        variables=rules.assemble.output.variables,
        tables=rules.assemble.output.tables,
        qmds=expand("manuscript/{doc}/index.qmd", doc=DOCUMENTS),
        code=code_files(),  # the analysis package and the workflow: the code version
    output:
        record="results/render/provenance.json",
        appendices=directory("results/render/provenance"),
    log:
        "logs/render/provenance.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # every rule's output patterns, so each input file can be traced to its rule
        outputs=lambda w: {
            r.name: sorted(str(o) for o in r.output) for r in workflow.rules
        },
    script:
        "../scripts/provenance.py"


rule render:
    # One job per document: staging and the three renders share the interpreter start
    # (about 8 s a job, against 0.2-0.4 s of pandoc per format).
    input:
        **FIGURES,
        qmd="manuscript/{doc}/index.qmd",
        quarto="manuscript/_quarto.yml",
        bib="manuscript/references.bib",
        csl="manuscript/apa.csl",
        variables=rules.assemble.output.variables,
        provenance=rules.provenance.output.appendices,
        tables=rules.assemble.output.tables,
        privacy=rules.privacy.output.record,
    output:
        **{
            fmt: report(
                f"results/manuscripts/{{doc}}.{fmt}",
                caption="../report/document.rst",
                category="Documents",
                subcategory="{doc}",
            )
            for fmt in FORMATS
        },
        folder=directory("results/render/{doc}"),
    log:
        "logs/render/{doc}.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        formats=FORMATS,
        synthetic=SYNTHETIC,
        engine=config["render"]["engine"],
    script:
        "../scripts/render.py"


rule landing:
    """results/index.html: links to every document, notebook and record of the build."""
    input:
        documents=expand("results/manuscripts/{doc}.{fmt}", doc=DOCUMENTS, fmt=FORMATS),
        notebooks=expand("results/notebooks/{nb}.html", nb=NOTEBOOKS),
        qmds=expand("manuscript/{doc}/index.qmd", doc=DOCUMENTS),
        claims="results/verify/claims.csv",
        provenance=rules.provenance.output.record,
    output:
        page="results/index.html",
    log:
        "logs/render/landing.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        documents=DOCUMENTS,
        formats=FORMATS,
        notebooks=NOTEBOOKS,
        synthetic=SYNTHETIC,
    script:
        "../scripts/landing.py"
