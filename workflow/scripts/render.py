"""Rule `render`: stages one document and renders its formats (analysis.render.stage)."""
from analysis.render.stage import stage_and_render
from analysis.rule import run

run(stage_and_render, snakemake)  # noqa: F821 -- injected by Snakemake
