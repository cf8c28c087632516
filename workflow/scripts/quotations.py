"""Rule `quotations`: calls analysis.steps.tallies.quotations_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.tallies import quotations_step

run(quotations_step, snakemake)  # noqa: F821 -- injected by Snakemake
