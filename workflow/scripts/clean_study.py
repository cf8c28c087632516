"""Rule `clean_study`: calls analysis.steps.clean.clean_study_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.clean import clean_study_step

run(clean_study_step, snakemake)  # noqa: F821 -- injected by Snakemake
