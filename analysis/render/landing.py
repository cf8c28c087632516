"""The landing page ``results/index.html``: one page that links everything a build made.

Why: a build leaves twelve documents, the study notebooks, the Snakemake report, the claims
verdict and the provenance record in separate folders; a reader (or a reviewer checking the
compendium) needs one place that lists them, says whether every published fact was
reproduced, how long each document is, how to verify the bytes, and, for a synthetic build,
that none of it is the authors' data. The page is plain, self-contained HTML with relative
links and no date, so two builds write the same bytes.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import yaml

from analysis.render.common import BANNER_TEXT
from analysis.render.metadata import split_front_matter
from analysis.render.stage import WORDS_FILE

FORMAT_LABELS: dict[str, str] = {"html": "HTML", "pdf": "PDF", "docx": "Word (DOCX)"}

CSS = """\
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
  line-height: 1.5; color: #1a1a1a; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #8c8c8c; padding: 0.3em 0.7em; text-align: left; }
thead th { background: #f2f2f2; }
td.number { text-align: right; }
.synthetic-banner { background: #fff3b0; color: #000; border: 2px solid #b00020;
  padding: 0.75em 1em; margin: 0 0 1.5em 0; font-weight: bold; }
pre { background: #f6f6f6; padding: 0.6em 1em; }
"""


def document_title(qmd: str | Path) -> str:
    """The ``title`` of a ``.qmd`` front matter (the file's folder name if it has none)."""
    path = Path(qmd)
    yaml_text, _, _ = split_front_matter(path.read_text(encoding="utf-8"))
    meta = yaml.safe_load(yaml_text) if yaml_text else None
    title = meta.get("title") if isinstance(meta, dict) else None
    return str(title) if title else path.parent.name


def word_count_of(folder: str | Path) -> int:
    """The words of main text recorded in a staged document folder."""
    record = json.loads((Path(folder) / WORDS_FILE).read_text(encoding="utf-8"))
    return int(record["words_main_text"])


def claim_counts(claims_csv: str | Path) -> dict[str, int]:
    """Claims per status (``match``, ``mismatch``...) in the verdict, sorted by status."""
    with Path(claims_csv).open(encoding="utf-8", newline="") as handle:
        counts = Counter(row["status"] for row in csv.DictReader(handle))
    return dict(sorted(counts.items()))


def _documents_table(
    titles: Mapping[str, str], formats: Sequence[str], words: Mapping[str, int]
) -> str:
    head = "".join(f"<th>{FORMAT_LABELS.get(f, f)}</th>" for f in formats)
    rows = []
    for doc, title in titles.items():
        links = "".join(
            f'<td><a href="manuscripts/{escape(doc)}.{f}">{escape(doc)}.{f}</a></td>'
            for f in formats
        )
        count = words.get(doc)
        cell = f"{count:,}" if isinstance(count, int) else "—"
        rows.append(f'<tr><td>{escape(title)}</td>{links}<td class="number">{cell}</td></tr>')
    return (
        f"<table><thead><tr><th>Document</th>{head}<th>Words of main text</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _verdict(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    items = "".join(f"<li>{escape(status)}: {n}</li>" for status, n in counts.items())
    matched = counts.get("match", 0)
    summary = (
        f"All {total} published facts were reproduced."
        if total and matched == total
        else f"{matched} of {total} published facts were reproduced."
    )
    return (
        f"<p>{summary} Each published fact (config/claims.yaml) is recomputed from the "
        'build\'s own outputs: <a href="verify/report.html">claims report</a>, '
        '<a href="verify/claims.csv">claims.csv</a>.</p>'
        f"<ul>{items}</ul>"
    )


def landing_page(
    titles: Mapping[str, str],
    formats: Sequence[str],
    notebooks: Sequence[str],
    claims: Mapping[str, int],
    provenance: Mapping[str, Any],
    words: Mapping[str, int],
    *,
    synthetic: bool,
) -> str:
    """The page's HTML. ``titles`` maps document names to titles (in display order),
    ``words`` documents to their words of main text."""
    banner = (
        f'<div class="synthetic-banner" role="note">{escape(BANNER_TEXT)}</div>'
        if synthetic
        else ""
    )
    notebook_items = "".join(
        f'<li><a href="notebooks/{escape(nb)}.html">{escape(nb)}</a></li>' for nb in notebooks
    )
    report = (
        '<li><a href="report.html">Snakemake report</a>: the workflow, every rule and its '
        "captioned figures and tables.</li>"
        if synthetic
        else ""
    )
    version = escape(str(provenance.get("code_version", "unknown")))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Creating impactful peer worker co-production roles: the compendium</title>
<style>
{CSS}</style>
</head>
<body>
{banner}
<h1>Creating impactful peer worker co-production roles: the compendium</h1>
<p>The thesis summary and its three articles, rebuilt by this compendium's workflow.</p>
<h2>Documents</h2>
{_documents_table(titles, formats, words)}
<p>Word counts exclude the title, abstract, tables, figure captions, references and
appendices.</p>
<h2>Notebooks and report</h2>
<ul>{notebook_items}{report}</ul>
<h2>Published facts</h2>
{_verdict(claims)}
<h2>Provenance</h2>
<p>Every value, table and figure the documents show is traced to the rule and the exact
input file (SHA-256) it was computed from: <a href="render/provenance.json">provenance.json</a>
(code version {version}).</p>
<h2>Verify this build</h2>
<p>From the root of the compendium, run</p>
<pre>make verify</pre>
<p>It rebuilds everything in a clean copy and compares every file with the checksums
recorded in <code>results.sha256</code>; identical bytes mean the build is reproduced.
It applies to the default render engine (pandoc + typst).</p>
</body>
</html>
"""


def landing_step(
    inp: Mapping[str, Any],
    out: Mapping[str, str],
    *,
    documents: Sequence[str],
    formats: Sequence[str],
    notebooks: Sequence[str],
    synthetic: bool,
) -> None:
    """Rule ``landing``: write ``results/index.html`` from the build's own records."""
    from analysis.io import write_text

    staged = {Path(folder).name: Path(folder) for folder in inp["staged"]}
    titles = {doc: document_title(staged[doc] / "index.qmd") for doc in documents}
    words = {doc: word_count_of(staged[doc]) for doc in documents}
    provenance = json.loads(Path(inp["provenance"]).read_text(encoding="utf-8"))
    page = landing_page(
        titles,
        formats,
        notebooks,
        claim_counts(inp["claims"]),
        provenance,
        words,
        synthetic=synthetic,
    )
    write_text(page, out["page"])
