"""Rule `landing`: calls analysis.steps.render.landing_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.render import landing_step

run(landing_step, snakemake)  # noqa: F821 -- injected by Snakemake
