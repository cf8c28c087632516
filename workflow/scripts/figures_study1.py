"""Rule `figures_study1`: calls analysis.steps.figures_study1_step with the rule's files."""
from analysis.rule import run
from analysis.steps import figures_study1_step

run(figures_study1_step, snakemake)  # noqa: F821 -- injected by Snakemake
