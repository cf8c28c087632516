"""Validate the hand-kept input sheets before any analysis runs.

The thesis is rebuilt from spreadsheets that authors keep by hand: the Study 1
extraction (charting) sheet, the PRISMA counts, and the participants, codebook
and coded segments of Studies 2 and 3.  A typo in one of them should stop the
pipeline with a message a spreadsheet user can act on, not surface three rules
later as a ``KeyError`` or, worse, as a silently wrong table in the thesis.  So
every table is checked here against a JSON Schema in ``workflow/schemas/`` and
every problem is reported with the file, the row (as a spreadsheet shows it:
header = row 1, first data row = row 2), the column, what was found (masked with
:func:`analysis.masking.mask`: validation runs before the privacy gate) and what
was expected.  All problems of a file are collected and raised together
(:class:`InputError`, a :class:`analysis.problems.ProblemsError`) so an author
fixes the sheet in one pass rather than one error per run.

Modules: :mod:`~analysis.validate.problems` (wording, masking, the error types),
:mod:`~analysis.validate.schemas` (the row schemas and their ``x-`` annotations),
:mod:`~analysis.validate.sheets` (CSV and XLSX reading), :mod:`~analysis.validate.checks`
(cells against the schema, column-wise), :mod:`~analysis.validate.tables` (a whole table,
cross-table checks) and :mod:`~analysis.validate.config` (configuration files).
"""

from analysis.validate.config import validate_config
from analysis.validate.problems import (
    MAX_LISTED,
    ConfigError,
    ConfigProblem,
    InputError,
    Problem,
)
from analysis.validate.schemas import SCHEMA_DIR, load_schema, schema_path
from analysis.validate.tables import (
    StudyTables,
    check_code_paths,
    check_frame,
    check_references,
    read_table,
    validate_study_tables,
)

__all__ = [
    "MAX_LISTED",
    "SCHEMA_DIR",
    "ConfigError",
    "ConfigProblem",
    "InputError",
    "Problem",
    "StudyTables",
    "check_code_paths",
    "check_frame",
    "check_references",
    "load_schema",
    "read_table",
    "schema_path",
    "validate_config",
    "validate_study_tables",
]
