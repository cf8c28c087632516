"""Rule `provenance`: calls analysis.steps.render.provenance_step with the rule's files."""
from analysis.rule import run
from analysis.steps.render import provenance_step

run(provenance_step, snakemake)  # noqa: F821 -- injected by Snakemake
