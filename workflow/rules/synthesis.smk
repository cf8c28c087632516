# Cross-study synthesis: the studies' evidence on the service cycle.


rule synthesis:
    input:
        articles=rules.clean_study1.output.articles,
        segments2="results/clean/study2_segments.csv",
        segments3="results/clean/study3_segments.csv",
        stage_map=rules.clean_stage_map.output.stage_map,
    output:
        matrix="results/synthesis/matrix.csv",
        shares="results/synthesis/shares.csv",
        svg=report(
            "results/synthesis/synthesis.svg",
            caption="../report/synthesis.rst",
            category="Synthesis",
        ),
        png="results/synthesis/synthesis.png",
    log:
        "logs/synthesis/synthesis.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/synthesis.py"
