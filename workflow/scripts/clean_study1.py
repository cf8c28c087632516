"""Rule `clean_study1`: calls analysis.steps.clean.clean_study1_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.clean import clean_study1_step

run(clean_study1_step, snakemake)  # noqa: F821 -- injected by Snakemake
