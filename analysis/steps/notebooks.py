"""Step of ``rules/notebooks.smk``: execute a study notebook on the DAG's outputs."""

from __future__ import annotations

from analysis.steps._common import Paths


def notebook_step(inp: Paths, out: Paths, synthetic: bool) -> None:
    """Execute a study notebook on the DAG's outputs; save it and its HTML supplement."""
    from analysis.notebooks import execute

    inp = dict(inp)
    source = inp.pop("notebook")
    execute(source, inp, out["ipynb"], out["html"], synthetic=synthetic)
