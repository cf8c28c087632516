"""Execute the study notebooks on DAG outputs and export them as HTML supplements.

The notebook sources in ``notebooks/`` hold no paths: a first cell named ``parameters`` is
injected with the input paths of the rule (as papermill would), so the same notebook runs on
synthetic or private results. A synthetic-data banner cell is added when the data are
synthetic. Execution timing metadata is not recorded, so outputs are byte-stable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from analysis.io import write_text

BANNER = (
    "**SYNTHETIC DATA** — every number, table and figure in this notebook is computed"
    " from synthetic records generated to match the published facts; it is not the"
    " authors' data."
)


def parameter_cell(paths: Mapping[str, str]) -> nbformat.NotebookNode:
    """A code cell defining ``PATHS``: the rule's inputs, sorted for stable output."""
    source = (
        "# Parameters injected by the DAG (workflow/rules/notebooks.smk)\nPATHS = "
        + json.dumps(dict(sorted(paths.items())), indent=4)
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.id = "injected-parameters"
    cell.metadata["tags"] = ["parameters", "injected"]
    return cell


def execute(
    source: str | Path,
    paths: Mapping[str, str],
    out_ipynb: str | Path,
    out_html: str | Path,
    *,
    synthetic: bool,
    cwd: str | Path = ".",
    timeout: int = 600,
) -> None:
    """Run ``source`` with ``paths`` injected; write the executed notebook and its HTML."""
    nb = nbformat.read(str(source), as_version=4)
    cells = [parameter_cell({k: str(Path(v)) for k, v in paths.items()})]
    if synthetic:
        banner = nbformat.v4.new_markdown_cell(BANNER)
        banner.id = "synthetic-banner"
        cells.insert(0, banner)
    nb.cells = cells + nb.cells
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(Path(cwd).resolve())}},
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    write_text(nbformat.writes(nb), out_ipynb)
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    write_text(html, out_html)
