"""Put this working tree first on ``sys.path`` before a rule's script imports the package.

A job in a per-rule conda environment (``--use-conda``, ``workflow/envs/compendium.yml``) has
every locked package but not this project; Snakemake puts the scripts' folder on the path, so
each script imports this module first and then finds ``analysis`` in the tree it runs from.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
