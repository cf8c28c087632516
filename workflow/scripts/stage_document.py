"""Rule `stage_document`: calls analysis.steps.render.stage_document_step with the rule's files."""
from analysis.rule import run
from analysis.steps.render import stage_document_step

run(stage_document_step, snakemake)  # noqa: F821 -- injected by Snakemake
