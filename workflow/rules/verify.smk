# Published facts (config/claims.yaml) recomputed from the DAG's own outputs; a mismatch stops
# the build unless config["exploratory"] is true. Inputs are read from the claims at parse time.
import yaml

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
        csv="results/verify/claims.csv",
        report="results/verify/report.html",
    params:
        exploratory=config["exploratory"],
    log:
        "logs/verify/claims.log",
    script:
        "../scripts/claims.py"
