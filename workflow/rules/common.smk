# Configuration, validated against workflow/schemas/config.schema.json (defaults filled in,
# unknown keys rejected with the closest valid key suggested), and shared names.
import json
from pathlib import Path

from analysis.layout import DOCUMENTS, NOTEBOOKS, QUAL_STUDIES
from analysis.validate import validate_config

with open(
    Path(workflow.basedir) / "schemas" / "config.schema.json", encoding="utf-8"
) as _f:
    _schema = json.load(_f)
# messages start with the config file's path, so the author knows which file to open
config.update(
    validate_config(
        config, _schema, label=", ".join(map(str, workflow.configfiles)) or "config"
    )
)

FORMATS = config["render"]["formats"]
STUDIES = list(QUAL_STUDIES)
SYNTHETIC = config["mode"] == "synthetic"


def data_file(study, key):
    """Path of an input named in config.inputs, below config.data_dir."""
    entry = config["inputs"][study] if key is None else config["inputs"][study][key]
    return str(Path(config["data_dir"]) / entry)


def study_inputs(wildcards):
    """A REFI-QDA project when the config names one, else the three CSV sheets."""
    keys = study_input_keys(config["inputs"][wildcards.study])
    return {k: data_file(wildcards.study, k) for k in keys}


wildcard_constraints:
    study="|".join(STUDIES),
    doc="|".join(DOCUMENTS),
    fmt="html|pdf|docx",
