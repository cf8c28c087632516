# Assemble what the documents read, lay out each document as a Quarto project, render it.
import sys

from analysis.layout import assemble_inputs, figure_inputs
from analysis.provenance import code_files

if config["render"]["engine"] != "pandoc":
    print(
        f"render engine {config['render']['engine']!r}: the documents depend on the Quarto "
        "version installed; `make verify` checks the pandoc engine's bytes and does not apply",
        file=sys.stderr,
    )

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
        provenance=rules.provenance.output.record,
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
        mem_mb=2000,
        runtime=15,
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
        staged=expand("results/render/{doc}", doc=DOCUMENTS),
        notebooks=expand("results/notebooks/{nb}.html", nb=NOTEBOOKS),
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
