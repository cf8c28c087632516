# Notebooks tell each study's analysis story on the DAG's outputs; executed copies are saved
# with HTML supplements. They compute nothing a manuscript needs.
from analysis.layout import notebook_inputs

NOTEBOOK_INPUTS = notebook_inputs()


wildcard_constraints:
    nb="|".join(NOTEBOOKS),


rule notebook:
    input:
        unpack(
            lambda w: {"notebook": f"notebooks/{w.nb}.ipynb", **NOTEBOOK_INPUTS[w.nb]}
        ),
    output:
        ipynb="results/notebooks/{nb}.ipynb",
        html="results/notebooks/{nb}.html",
    log:
        "logs/notebooks/{nb}.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        synthetic=SYNTHETIC,
    script:
        "../scripts/execute_notebook.py"
