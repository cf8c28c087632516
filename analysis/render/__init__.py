"""Render a staged Quarto project to self-contained HTML, PDF and DOCX.

Why this package exists: the manuscripts are Quarto (``.qmd``) sources, but the
Quarto CLI cannot be installed on every machine that rebuilds the compendium.
When ``quarto`` is on ``PATH`` it is used as is.  Otherwise the same sources are
rendered with the engines Quarto itself wraps: pandoc (from ``pypandoc-binary``)
for HTML and DOCX, and pandoc's typst writer plus the ``typst`` Python binding
for PDF.  The Quarto features the manuscripts rely on are re-implemented here
and in the Lua filters under ``analysis/filters``:

* ``{{< var a.b >}}``, ``{{< include path >}}`` and ``{{< pagebreak >}}``
  shortcodes (:func:`expand_shortcodes`),
* project metadata from ``_quarto.yml`` merged under the front matter,
* figure, table and section cross-references (``crossref.lua``, run before
  citeproc so that ``@fig-x`` never reaches it),
* citations through ``--citeproc`` with the staged bibliography and CSL,
* a banner for builds made from synthetic data (``synthetic_banner.lua`` for
  HTML and PDF, a post-processing step for DOCX).

Outputs are deterministic (``SOURCE_DATE_EPOCH`` for pandoc, a fixed creation
timestamp and only the fonts bundled with typst for the PDF) and are written
atomically, so a failed render never leaves a partial or half-updated file.

The staged project folder looks like this::

    _quarto.yml        project metadata (bibliography, csl, lang, format options)
    _variables.yml     values for {{< var ... >}}
    index.qmd          the document
    tables/*.md        pipe tables with a ": Caption {#tbl-x}" line
    figures/x.svg      figures, each also as figures/x.png for Word
    references.bib     bibliography
    apa.csl            citation style
    fonts/             optional extra fonts for the PDF

The package, along its seams:

* :mod:`.common` -- formats, engines, the banner text, :class:`RenderError`;
* :mod:`.shortcodes` and :mod:`.metadata` -- Quarto compatibility (shortcodes,
  variables, includes, front matter, ``_quarto.yml``, authors);
* :mod:`.pandoc` and :mod:`.docx` -- the pandoc+typst engine and DOCX post-processing;
* :mod:`.quarto` -- the Quarto CLI engine;
* :mod:`.entry` -- :func:`render` and the command line (``python -m analysis.render``).
"""

from __future__ import annotations

from analysis.render.common import (
    BANNER_TEXT,
    ENGINES,
    FORMATS,
    NOTICE_TEXT,
    RenderError,
)
from analysis.render.docx import (
    add_docx_banner,
    docx_banner_paragraph,
)
from analysis.render.entry import (
    main,
    render,
)
from analysis.render.metadata import (
    RenderSource,
    compose_markdown,
    document_metadata,
    load_source,
    merge_metadata,
    normalise_authors,
    pandoc_metadata,
    resolve_epoch,
    split_front_matter,
)
from analysis.render.pandoc import (
    check_pandoc_diagnostics,
    compile_typst,
    locate_key,
    pandoc_arguments,
    render_with_pandoc,
)
from analysis.render.quarto import (
    render_with_quarto,
)
from analysis.render.shortcodes import (
    Shortcode,
    expand_shortcodes,
    find_shortcodes,
    format_variable,
    lookup_variable,
)

__all__ = [
    "BANNER_TEXT",
    "ENGINES",
    "FORMATS",
    "NOTICE_TEXT",
    "RenderError",
    "RenderSource",
    "Shortcode",
    "add_docx_banner",
    "check_pandoc_diagnostics",
    "compile_typst",
    "compose_markdown",
    "document_metadata",
    "docx_banner_paragraph",
    "expand_shortcodes",
    "find_shortcodes",
    "format_variable",
    "load_source",
    "locate_key",
    "lookup_variable",
    "main",
    "merge_metadata",
    "normalise_authors",
    "pandoc_arguments",
    "pandoc_metadata",
    "render",
    "render_with_pandoc",
    "render_with_quarto",
    "resolve_epoch",
    "split_front_matter",
]
