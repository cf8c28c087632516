"""Rule `claims`: calls analysis.claims.claims_step with the rule's files."""
from analysis.claims import claims_step
from analysis.rule import run

run(claims_step, snakemake)  # noqa: F821 -- injected by Snakemake
