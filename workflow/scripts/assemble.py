"""Rule `assemble`: calls analysis.steps.render.assemble_step with the rule's files."""
from analysis.rule import run
from analysis.steps.render import assemble_step

run(assemble_step, snakemake)  # noqa: F821 -- injected by Snakemake
