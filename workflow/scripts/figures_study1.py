"""Rule `figures_study1`: calls analysis.steps.figures.figures_study1_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.figures import figures_study1_step

run(figures_study1_step, snakemake)  # noqa: F821 -- injected by Snakemake
