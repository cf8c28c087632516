"""Rule `notebook`: calls analysis.steps.notebooks.notebook_step with the rule's files."""
from analysis.rule import run
from analysis.steps.notebooks import notebook_step

run(notebook_step, snakemake)  # noqa: F821 -- injected by Snakemake
