"""Rule `landing`: writes results/index.html (analysis.render.landing)."""
from analysis.render.landing import landing_step
from analysis.rule import run

run(landing_step, snakemake)  # noqa: F821 -- injected by Snakemake
