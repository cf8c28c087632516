"""Rule `quotations`: calls analysis.steps.tallies.quotations_step with the rule's files."""
from analysis.rule import run
from analysis.steps.tallies import quotations_step

run(quotations_step, snakemake)  # noqa: F821 -- injected by Snakemake
