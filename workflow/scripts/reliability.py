"""Rule `reliability`: calls analysis.steps.reliability_step with the rule's files."""
from analysis.rule import run
from analysis.steps import reliability_step

run(reliability_step, snakemake)  # noqa: F821 -- injected by Snakemake
