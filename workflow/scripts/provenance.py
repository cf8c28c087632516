"""Rule `provenance`: calls analysis.steps.render.provenance_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.render import provenance_step

run(provenance_step, snakemake)  # noqa: F821 -- injected by Snakemake
