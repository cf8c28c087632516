"""Rule `synthesis`: calls analysis.steps.synthesis.synthesis_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.synthesis import synthesis_step

run(synthesis_step, snakemake)  # noqa: F821 -- injected by Snakemake
