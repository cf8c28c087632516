"""Import and export REFI-QDA projects (``.qdpx``) as tidy tables.

Why this module exists: the two qualitative studies of the thesis were coded in CAQDAS tools
(NVivo, MAXQDA, ATLAS.ti, QualCoder). The REFI-QDA exchange standard is the only
tool-neutral way to get the codebook (the theme hierarchy), the coded segments and the
participants (cases and their attributes) out of those tools, so the Snakemake DAG rebuilds
every thematic tally and every intercoder-agreement figure from a ``.qdpx`` export through
:func:`read_qdpx` and :func:`write_tables`. :func:`write_qdpx` goes the other way so that the
synthetic data sets of the compendium can be opened in any of those tools.

Importing
---------
``read_qdpx(path)`` reads the zip archive (members are looked up *inside* the zip
only, nothing is extracted, member paths are never joined onto the file system) and streams
``project.qde`` with :func:`lxml.etree.iterparse`, clearing elements as it goes, so that a
project with half a million codings stays far below 1 GB of memory. Elements are matched by
their *local* name because the namespace varies between tools (``urn:QDA-XML:project:1.0``;
NVivo for Mac writes codebooks in ``urn:QDA-XML:codebook:1:0``).

Source text: ``plainTextPath="internal://<x>"`` is the member ``sources/<x>`` (falling back
to ``<x>`` at the top of the archive) and a relative path is a member of the archive (tried
as given, then under ``sources/``); member names are matched case-insensitively because
MAXQDA writes ``sources/`` and NVivo ``Sources/``. An absolute path or URL points outside
the archive and is an error, as is a path with ``..``. Inline ``PlainTextContent`` is used
when there is no path. A leading UTF-8 (or UTF-16) byte order mark is removed; line breaks
are kept as stored.

Offset conventions -- the detection rule
----------------------------------------
The standard counts ``startPosition``/``endPosition`` in Unicode code points from 0 with an
exclusive end, but NVivo 12 counts UTF-16 code units (an emoji counts 2) on the text as
stored, CRLF included and BOM excluded, and some exporters count on text whose CRLF line
breaks were normalised to LF. Four conventions are therefore candidates for every source:
``codepoint/crlf`` (the standard), ``codepoint/lf``, ``utf16/crlf`` (NVivo) and
``utf16/lf``. For each text source the importer ranks the candidates by these criteria,
in this order:

1. fewest selections that fall outside the source text under the candidate;
2. fewest selection boundaries that would split a character: the middle of a UTF-16
   surrogate pair, or the point between the CR and the LF of a CRLF line break;
3. most text sources of the *same project* under which the candidate is admissible (fits
   every selection and splits nothing) -- one file comes from one tool, so a source that
   cannot tell conventions apart (no emoji and no CRLF before its codings) follows the
   sources that can;
4. the preference order implied by the project's ``origin`` attribute: an origin that
   mentions NVivo prefers UTF-16 units, everything else prefers code points; within a unit,
   CRLF kept is preferred to CRLF normalised.

Positions are then mapped to code points of the stored text (CRLF kept), so ``text`` is
always the exact stored span; they are exposed as ``cp_start``/``cp_end`` next to the
``start``/``end`` that were written in the file. If every candidate leaves some selection
out of range, those selections are reported as errors (with the numbers and the source
length under the best candidate). A boundary that still splits a surrogate pair is moved to
the start of that character. Both that and any source whose offsets were *not* read in the
origin's default convention although it fitted (steps 2 and 3 overruled step 4, and the
slices differ) are reported in :attr:`QdpxProject.warnings`, so the decision can be audited.

Errors
------
The importer is lenient about the schema (unless ``validate=True``) but strict about things
that would silently corrupt an analysis. All problems of one file are collected and raised
once as :class:`QdpxError` (a :class:`analysis.problems.ProblemsError`, itself a
:class:`ValueError`), each naming the ``.qdpx`` file and the guid or line of the offending
element; input text quoted in a message (names, paths, values) is masked with
:func:`analysis.masking.mask`, since the reader runs before the privacy gate.

Modules
-------
:mod:`~analysis.qdpx.model` (the tables and shared names), :mod:`~analysis.qdpx.archive`
(zip members, limits), :mod:`~analysis.qdpx.parse` (the streaming pass),
:mod:`~analysis.qdpx.offsets` (conventions), :mod:`~analysis.qdpx.read` (checks and
tables), :mod:`~analysis.qdpx.plan` and :mod:`~analysis.qdpx.write` (export),
:mod:`~analysis.qdpx.cli` (command line).

Exporting
---------
``write_qdpx(...)`` writes a schema-valid project with byte-for-byte reproducible output:
fixed member order, fixed timestamps (``SOURCE_DATE_EPOCH`` or 1980-01-01), fixed
compression, caller-supplied or :func:`stable_guid` identifiers, and standard code-point
offsets.
"""

from __future__ import annotations

from analysis.qdpx.cli import main
from analysis.qdpx.model import (
    CASES_SOURCE_COLUMNS,
    CODEBOOK_COLUMNS,
    CODINGS_COLUMNS,
    CONVENTIONS,
    PROJECT_NS,
    SCHEMA_PATH,
    QdpxError,
    QdpxProject,
    stable_guid,
)
from analysis.qdpx.offsets import detect_offset_convention
from analysis.qdpx.read import read_qdpx, write_tables
from analysis.qdpx.write import write_qdpx

__all__ = [
    "CASES_SOURCE_COLUMNS",
    "CODEBOOK_COLUMNS",
    "CODINGS_COLUMNS",
    "CONVENTIONS",
    "PROJECT_NS",
    "SCHEMA_PATH",
    "QdpxError",
    "QdpxProject",
    "detect_offset_convention",
    "main",
    "read_qdpx",
    "stable_guid",
    "write_qdpx",
    "write_tables",
]
