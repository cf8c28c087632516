"""Run the ``qdpx`` command line: ``python -m analysis.qdpx PROJECT.qdpx OUTDIR``."""

import sys

from analysis.qdpx.cli import main

sys.exit(main())
