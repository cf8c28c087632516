"""Rule `tallies_study1`: calls analysis.steps.tallies.tallies_study1_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.tallies import tallies_study1_step

run(tallies_study1_step, snakemake)  # noqa: F821 -- injected by Snakemake
