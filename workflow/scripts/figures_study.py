"""Rule `figures_study`: calls analysis.steps.figures_study_step with the rule's files."""
from analysis.rule import run
from analysis.steps import figures_study_step

run(figures_study_step, snakemake)  # noqa: F821 -- injected by Snakemake
