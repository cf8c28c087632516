"""One module per rule file: read a rule's inputs, call the pure functions, write outputs.

``analysis/steps/<stage>.py`` mirrors ``workflow/rules/<stage>.smk``. A Snakemake script in
``workflow/scripts/`` calls exactly one step function with the paths from the ``snakemake``
object, so the pipeline can also be driven (and tested) from Python without Snakemake.
Each module imports only what its stage needs, and heavy libraries (statsmodels, scipy,
matplotlib, lxml, Jupyter) only inside the functions that use them: a job's fixed cost is
the interpreter, pandas and its own work, not the whole package. Every write is atomic
(:mod:`analysis.io`). This package imports nothing on its own.
"""
