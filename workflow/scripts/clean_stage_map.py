"""Rule `clean_stage_map`: calls analysis.steps.clean.clean_stage_map_step with the rule's files."""

import _repo  # noqa: F401 -- first: the analysis package of this working tree

from analysis.rule import run
from analysis.steps.clean import clean_stage_map_step

run(clean_stage_map_step, snakemake)  # noqa: F821 -- injected by Snakemake
