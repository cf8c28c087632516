# Statistics (statsmodels): Wilson intervals, the logistic trend, contingency tests and
# intercoder reliability (Cohen, Fleiss, Krippendorff).


rule stats_study1:
    input:
        articles=rules.clean_study1.output.articles,
        role=rules.tallies_study1.output.role,
        stage=rules.tallies_study1.output.stage,
        outcomes=rules.tallies_study1.output.outcomes,
    output:
        role_ci=report(
            "results/stats/study1/role_ci.csv",
            caption="../report/ci.rst",
            category="Study 1: scoping review",
        ),
        stage_ci=report(
            "results/stats/study1/stage_ci.csv",
            caption="../report/ci.rst",
            category="Study 1: scoping review",
        ),
        outcomes_ci=report(
            "results/stats/study1/outcomes_ci.csv",
            caption="../report/ci.rst",
            category="Study 1: scoping review",
        ),
        model="results/stats/study1/model.json",
    log:
        "logs/stats/study1.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/stats_study1.py"


rule stats_study:
    input:
        by_group=rules.tallies_study.output.by_group,
    output:
        test="results/stats/{study}/group_theme_test.json",
    log:
        "logs/stats/{study}.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        seed=config["seed"],
    script:
        "../scripts/stats_study.py"


rule reliability:
    input:
        codings=rules.clean_study.output.codings,
        codebook=rules.clean_study.output.codebook,
    output:
        summary="results/stats/{study}/reliability.json",
        table=report(
            "results/stats/{study}/reliability.csv",
            caption="../report/reliability.rst",
            category="Studies 2 and 3",
            subcategory="{study}",
        ),
    log:
        "logs/stats/{study}.reliability.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/reliability.py"
