# Validate every input against its JSON schema and write tidy, normalised tables. Each rule
# waits for the privacy gate (rules/privacy.smk), which scans the raw inputs first.
from analysis.steps.clean import study_input_keys

GATE = "results/privacy/gate.json"


rule clean_study1:
    input:
        extraction=data_file("study1", "extraction"),
        prisma=data_file("study1", "prisma"),
        schemas=[
            "workflow/schemas/extraction.schema.json",
            "workflow/schemas/prisma.schema.json",
        ],
        gate=GATE,
    output:
        articles="results/clean/study1_articles.csv",
        prisma="results/clean/study1_prisma.csv",
    log:
        "logs/clean/study1.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../scripts/clean_study1.py"


rule clean_study:
    input:
        unpack(study_inputs),
        schemas=[
            "workflow/schemas/participants.schema.json",
            "workflow/schemas/codebook.schema.json",
            "workflow/schemas/segments.schema.json",
        ],
        gate=GATE,
    output:
        participants="results/clean/{study}_participants.csv",
        codebook="results/clean/{study}_codebook.csv",
        segments="results/clean/{study}_segments.csv",
        codings="results/clean/{study}_codings.csv",
    log:
        "logs/clean/{study}.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        coder_labels=config["privacy"].get("coder_labels") or {},
    script:
        "../scripts/clean_study.py"


rule clean_stage_map:
    input:
        stage_map=data_file("stage_map", None),
        codebook2="results/clean/study2_codebook.csv",
        codebook3="results/clean/study3_codebook.csv",
        schema="workflow/schemas/stage_map.schema.json",
        gate=GATE,
    output:
        stage_map="results/clean/stage_map.csv",
    log:
        "logs/clean/stage_map.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/clean_stage_map.py"
