"""Rule `render`: calls analysis.steps.render.render_step with the rule's files."""
from analysis.rule import run
from analysis.steps.render import render_step

run(render_step, snakemake)  # noqa: F821 -- injected by Snakemake
