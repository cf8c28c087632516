"""Rule `quotations`: calls analysis.steps.quotations_step with the rule's files."""
from analysis.rule import run
from analysis.steps import quotations_step

run(quotations_step, snakemake)  # noqa: F821 -- injected by Snakemake
