# Assemble what the documents read, lay out each document as a Quarto project, render it.
from analysis.layout import assemble_inputs, figure_inputs
from analysis.provenance import code_files

FIGURES = figure_inputs()

# The assemble rule's inputs by name; the provenance rule checksums the same files.
ASSEMBLE_INPUTS = assemble_inputs()


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
        code=code_files(),  # the analysis package and the workflow: the code version
    output:
        record="results/render/provenance.json",
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


rule stage_document:
    input:
        **FIGURES,
        qmd="manuscript/{doc}/index.qmd",
        quarto="manuscript/_quarto.yml",
        bib="manuscript/references.bib",
        csl="manuscript/apa.csl",
        variables=rules.assemble.output.variables,
        provenance=rules.provenance.output.record,
        tables=rules.assemble.output.tables,
    output:
        folder=directory("results/render/{doc}"),
    log:
        "logs/render/{doc}.stage.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/stage_document.py"


rule render:
    input:
        folder=rules.stage_document.output.folder,
        privacy=rules.privacy.output.record,
    output:
        document=report(
            "results/manuscripts/{doc}.{fmt}",
            caption="../report/document.rst",
            category="Documents",
            subcategory="{doc}",
        ),
    log:
        "logs/render/{doc}.{fmt}.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        fmt=lambda w: w.fmt,
        synthetic=SYNTHETIC,
        engine=config["render"]["engine"],
    script:
        "../scripts/render.py"
