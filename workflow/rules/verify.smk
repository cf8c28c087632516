# Published facts (config/claims.yaml) recomputed from the DAG's own outputs; a mismatch stops
# the build unless config["exploratory"] is true. Inputs are read from the claims at parse time.
import yaml

from analysis.privacy import public_config

CLAIMS_FILE = "config/claims.yaml"
with open(CLAIMS_FILE, encoding="utf-8") as _f:
    CLAIM_OUTPUTS = sorted(
        {c["compute"]["output"] for c in (yaml.safe_load(_f) or {}).get("claims", [])}
    )


rule claims:
    input:
        claims=CLAIMS_FILE,
        schema="workflow/schemas/claims.schema.json",
        data=CLAIM_OUTPUTS,
    output:
        csv=report(
            "results/verify/claims.csv",
            caption="../report/claims.rst",
            category="Verification",
        ),
        report="results/verify/report.html",
    log:
        "logs/verify/claims.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        exploratory=config["exploratory"],
    script:
        "../scripts/claims.py"


rule run_record:
    """What a reviewer needs to rebuild this run: the validated config and software versions."""
    output:
        config=report(
            "results/verify/config.yaml",
            caption="../report/config.rst",
            category="Verification",
        ),
        software=report(
            "results/verify/software.csv",
            caption="../report/software.rst",
            category="Verification",
        ),
    log:
        "logs/verify/run_record.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=public_config(config),  # params show in the report: no private paths
    script:
        "../scripts/run_record.py"
