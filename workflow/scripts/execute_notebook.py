"""Rule `notebook`: calls analysis.steps.notebook_step with the rule's files."""
from analysis.rule import run
from analysis.steps import notebook_step

run(notebook_step, snakemake)  # noqa: F821 -- injected by Snakemake
