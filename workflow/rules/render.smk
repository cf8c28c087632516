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
    params:
        mode=config["mode"],
    log:
        "logs/render/assemble.log",
    script:
        "../scripts/assemble.py"


rule provenance:
    input:
        variables=rules.assemble.output.variables,
        tables=rules.assemble.output.tables,
        code=code_files(),  # the analysis package and the workflow: the code version
        **{f"in_{k}": v for k, v in ASSEMBLE_INPUTS.items()},
        **FIGURES,
    output:
        record="results/render/provenance.json",
    params:
        # every rule's output patterns, so each input file can be traced to its rule
        outputs=lambda w: {r.name: sorted(str(o) for o in r.output) for r in workflow.rules},
    log:
        "logs/render/provenance.log",
    script:
        "../scripts/provenance.py"


rule stage_document:
    input:
        qmd="manuscript/{doc}/index.qmd",
        quarto="manuscript/_quarto.yml",
        bib="manuscript/references.bib",
        csl="manuscript/apa.csl",
        variables=rules.assemble.output.variables,
        provenance=rules.provenance.output.record,
        tables=rules.assemble.output.tables,
        **FIGURES,
    output:
        folder=directory("results/render/{doc}"),
    log:
        "logs/render/{doc}.stage.log",
    script:
        "../scripts/stage_document.py"


rule render:
    input:
        folder=rules.stage_document.output.folder,
        privacy=rules.privacy.output.record,
    output:
        document=report("results/manuscripts/{doc}.{fmt}", caption="../report/document.rst",
                        category="Documents", subcategory="{doc}"),
    params:
        fmt=lambda w: w.fmt,
        synthetic=SYNTHETIC,
        engine=config["render"]["engine"],
    log:
        "logs/render/{doc}.{fmt}.log",
    script:
        "../scripts/render.py"
