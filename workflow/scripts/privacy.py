"""Rule `privacy`: calls analysis.steps.privacy.privacy_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.privacy import privacy_step

run(privacy_step, snakemake)  # noqa: F821 -- injected by Snakemake
