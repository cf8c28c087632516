"""Rule `clean_study`: calls analysis.steps.clean.clean_study_step with the rule's files."""
from analysis.rule import run
from analysis.steps.clean import clean_study_step

run(clean_study_step, snakemake)  # noqa: F821 -- injected by Snakemake
