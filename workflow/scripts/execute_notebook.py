"""Rule `notebook`: calls analysis.steps.notebooks.notebook_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.notebooks import notebook_step

run(notebook_step, snakemake)  # noqa: F821 -- injected by Snakemake
