"""Rule `run_record`: calls analysis.steps.verify.run_record_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.verify import run_record_step

run(run_record_step, snakemake)  # noqa: F821 -- injected by Snakemake
