# Notebooks tell each study's analysis story on the DAG's outputs; executed copies are saved
# with HTML supplements. They compute nothing a manuscript needs.
NOTEBOOK_INPUTS = {
    "study1": {
        "articles": rules.clean_study1.output.articles,
        "role_ci": rules.stats_study1.output.role_ci,
        "stage_ci": rules.stats_study1.output.stage_ci,
        "role_stage": rules.tallies_study1.output.role_stage,
        "model": rules.stats_study1.output.model,
    },
    **{
        study: {
            "participants": f"results/clean/{study}_participants.csv",
            "segments": f"results/clean/{study}_segments.csv",
            "themes": f"results/tallies/{study}/themes.csv",
            "subthemes": f"results/tallies/{study}/subthemes.csv",
            "by_group": f"results/tallies/{study}/by_group.csv",
            "hierarchy": f"results/tallies/{study}/hierarchy.csv",
            "quotations": f"results/tallies/{study}/quotations.csv",
            "condensates": f"results/tallies/{study}/condensates.csv",
            "reliability": f"results/stats/{study}/reliability.json",
            "codings": f"results/clean/{study}_codings.csv",
        }
        for study in STUDIES
    },
    "synthesis": {
        "matrix": rules.synthesis.output.matrix,
        "shares": rules.synthesis.output.shares,
    },
}


wildcard_constraints:
    nb="|".join(NOTEBOOKS),


rule notebook:
    input:
        unpack(lambda w: {"notebook": f"notebooks/{w.nb}.ipynb", **NOTEBOOK_INPUTS[w.nb]}),
    output:
        ipynb="results/notebooks/{nb}.ipynb",
        html="results/notebooks/{nb}.html",
    params:
        synthetic=SYNTHETIC,
    log:
        "logs/notebooks/{nb}.log",
    script:
        "../scripts/execute_notebook.py"
