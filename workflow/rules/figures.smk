# Figures of the three studies, as SVG (HTML, PDF) and PNG (DOCX).


rule figures_study1:
    input:
        articles=rules.clean_study1.output.articles,
        role_stage=rules.tallies_study1.output.role_stage,
        prisma=rules.clean_study1.output.prisma,
    output:
        flow_svg=report(
            "results/figures/s1-prisma-flow.svg",
            caption="../report/prisma.rst",
            category="Study 1: scoping review",
        ),
        flow_png="results/figures/s1-prisma-flow.png",
        role_stage_svg=report(
            "results/figures/s1-role-stage.svg",
            caption="../report/role_stage.rst",
            category="Study 1: scoping review",
        ),
        role_stage_png="results/figures/s1-role-stage.png",
        years_svg=report(
            "results/figures/s1-years.svg",
            caption="../report/years.rst",
            category="Study 1: scoping review",
        ),
        years_png="results/figures/s1-years.png",
    log:
        "logs/figures/study1.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/figures_study1.py"


rule figures_study:
    input:
        by_group=rules.tallies_study.output.by_group,
    output:
        svg=report(
            "results/figures/{study}-groups.svg",
            caption="../report/groups.rst",
            category="Studies 2 and 3",
            subcategory="{study}",
        ),
        png="results/figures/{study}-groups.png",
    log:
        "logs/figures/{study}.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        study=lambda w: w.study,  # titles: analysis.categories.FIGURE_TEXT
    script:
        "../scripts/figures_study.py"
