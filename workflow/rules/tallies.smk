# Thematic tallies: Study 1 counts by category; Studies 2 and 3 meaning units per theme,
# subtheme and group, and participant coverage.
STUDY1_TALLIES = ["role", "stage", "outcomes", "country", "period", "year", "design",
                  "sector", "setting", "role_stage"]
QUAL_TALLIES = ["themes", "subthemes", "by_group", "coverage_by_group"]


rule tallies_study1:
    input:
        articles=rules.clean_study1.output.articles,
    output:
        **{t: f"results/tallies/study1/{t}.csv" for t in STUDY1_TALLIES},
    log:
        "logs/tallies/study1.log",
    script:
        "../scripts/tallies_study1.py"


rule tallies_study:
    input:
        participants=rules.clean_study.output.participants,
        codebook=rules.clean_study.output.codebook,
        segments=rules.clean_study.output.segments,
    output:
        **{t: f"results/tallies/{{study}}/{t}.csv" for t in QUAL_TALLIES},
    log:
        "logs/tallies/{study}.log",
    script:
        "../scripts/tallies_study.py"
