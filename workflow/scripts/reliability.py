"""Rule `reliability`: calls analysis.steps.stats.reliability_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.stats import reliability_step

run(reliability_step, snakemake)  # noqa: F821 -- injected by Snakemake
