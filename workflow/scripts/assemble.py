"""Rule `assemble`: calls analysis.steps.assemble_step with the rule's files."""
from analysis.rule import run
from analysis.steps import assemble_step

run(assemble_step, snakemake)  # noqa: F821 -- injected by Snakemake
