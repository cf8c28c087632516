"""Rule `stage_document`: calls analysis.steps.stage_document_step with the rule's files."""
from analysis.rule import run
from analysis.steps import stage_document_step

run(stage_document_step, snakemake)  # noqa: F821 -- injected by Snakemake
