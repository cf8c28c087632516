# Validate every input against its JSON schema and write tidy, normalised tables.
from analysis.steps.clean import study_input_keys


rule clean_study1:
    input:
        extraction=data_file("study1", "extraction"),
        prisma=data_file("study1", "prisma"),
        schemas=["workflow/schemas/extraction.schema.json", "workflow/schemas/prisma.schema.json"],
    output:
        articles="results/clean/study1_articles.csv",
        prisma="results/clean/study1_prisma.csv",
    log:
        "logs/clean/study1.log",
    script:
        "../scripts/clean_study1.py"


def study_inputs(wildcards):
    """A REFI-QDA project when the config names one, else the three CSV sheets."""
    keys = study_input_keys(config["inputs"][wildcards.study])
    return {k: data_file(wildcards.study, k) for k in keys}


rule clean_study:
    input:
        unpack(study_inputs),
        schemas=[
            "workflow/schemas/participants.schema.json",
            "workflow/schemas/codebook.schema.json",
            "workflow/schemas/segments.schema.json",
        ],
    output:
        participants="results/clean/{study}_participants.csv",
        codebook="results/clean/{study}_codebook.csv",
        segments="results/clean/{study}_segments.csv",
        codings="results/clean/{study}_codings.csv",
    log:
        "logs/clean/{study}.log",
    script:
        "../scripts/clean_study.py"


rule clean_stage_map:
    input:
        stage_map=data_file("stage_map", None),
        codebook2="results/clean/study2_codebook.csv",
        codebook3="results/clean/study3_codebook.csv",
        schema="workflow/schemas/stage_map.schema.json",
    output:
        stage_map="results/clean/stage_map.csv",
    log:
        "logs/clean/stage_map.log",
    script:
        "../scripts/clean_stage_map.py"
