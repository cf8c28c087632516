"""Rule `provenance`: calls analysis.steps.provenance_step with the rule's files."""
from analysis.rule import run
from analysis.steps import provenance_step

run(provenance_step, snakemake)  # noqa: F821 -- injected by Snakemake
