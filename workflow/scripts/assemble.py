"""Rule `assemble`: calls analysis.steps.render.assemble_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.render import assemble_step

run(assemble_step, snakemake)  # noqa: F821 -- injected by Snakemake
