# Thematic tallies: Study 1 counts by category; Studies 2 and 3 meaning units per theme,
# subgroup and code group (the levels of systematic text condensation), by group, with
# participant and character coverage; and the STC report: per subgroup its condensate, who
# voiced it, and two to four quotations whose speakers' roles are checked.
from analysis.layout import QUAL_TALLIES, STUDY1_TALLIES


rule tallies_study1:
    input:
        articles=rules.clean_study1.output.articles,
    output:
        **{t: f"results/tallies/study1/{t}.csv" for t in STUDY1_TALLIES},
    log:
        "logs/tallies/study1.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/tallies_study1.py"


rule tallies_study:
    input:
        participants=rules.clean_study.output.participants,
        codebook=rules.clean_study.output.codebook,
        segments=rules.clean_study.output.segments,
    output:
        **{
            t: f"results/tallies/{{study}}/{t}.csv"
            for t in QUAL_TALLIES
            if t != "hierarchy"
        },
        hierarchy=report(
            "results/tallies/{study}/hierarchy.csv",
            caption="../report/hierarchy.rst",
            category="Studies 2 and 3",
            subcategory="{study}",
        ),
    log:
        "logs/tallies/{study}.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/tallies_study.py"


rule quotations:
    input:
        participants=rules.clean_study.output.participants,
        codebook=rules.clean_study.output.codebook,
        segments=rules.clean_study.output.segments,
        stc_bank=data_file("stc_bank", None),
        schema="workflow/schemas/stc_bank.schema.json",
    output:
        bank=report(
            "results/tallies/{study}/quotations.csv",
            caption="../report/quotations.rst",
            category="Studies 2 and 3",
            subcategory="{study}",
        ),
        condensates="results/tallies/{study}/condensates.csv",
    log:
        "logs/tallies/{study}.quotations.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        study=lambda w: w.study,
    script:
        "../scripts/quotations.py"
