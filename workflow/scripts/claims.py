"""Rule `claims`: calls analysis.steps.verify.claims_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.verify import claims_step

run(claims_step, snakemake)  # noqa: F821 -- injected by Snakemake
