# The privacy gate: no participant identifier may reach a rendered document.


def raw_projects(wildcards):
    """The REFI-QDA projects themselves: transcripts, case names and notes are scanned too."""
    return {
        f"qdpx_{s}": data_file(s, "qdpx")
        for s in STUDIES
        if "qdpx" in config["inputs"][s]
    }


rule privacy:
    input:
        unpack(raw_projects),
        study1_articles=rules.clean_study1.output.articles,
        study2_participants="results/clean/study2_participants.csv",
        study2_codebook="results/clean/study2_codebook.csv",
        study2_segments="results/clean/study2_segments.csv",
        study3_participants="results/clean/study3_participants.csv",
        study3_codebook="results/clean/study3_codebook.csv",
        study3_segments="results/clean/study3_segments.csv",
        names=config["privacy"]["names_file"] or [],
    output:
        record="results/privacy/gate.json",
    log:
        "logs/privacy/gate.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        data_dir=config["data_dir"],
    script:
        "../scripts/privacy.py"
