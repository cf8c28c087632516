"""``python -m analysis.render``: the command-line entry point."""

import sys

from analysis.render.entry import main

sys.exit(main())
