# The privacy gate: runs first, on the raw inputs, so no identifier reaches a cleaned table,
# a log that quotes values, or a rendered document. Every clean rule waits for its record.


def raw_inputs(wildcards):
    """Every input file named in config.inputs, keyed <study>_<kind> (stage_map bare)."""
    files = {}
    for study, spec in config["inputs"].items():
        if study == "stage_map":
            files["stage_map"] = data_file("stage_map", None)
            continue
        kinds = ["qdpx"] if "qdpx" in spec else sorted(spec)
        files.update({f"{study}_{kind}": data_file(study, kind) for kind in kinds})
    return files


ROW_SCHEMAS = [
    "extraction",
    "prisma",
    "participants",
    "codebook",
    "segments",
    "stage_map",
]


rule privacy:
    input:
        unpack(raw_inputs),
        names=config["privacy"]["names_file"] or [],
        schemas=expand("workflow/schemas/{kind}.schema.json", kind=ROW_SCHEMAS),
    output:
        record="results/privacy/gate.json",
    log:
        "logs/privacy/gate.log",
    params:
        data_dir=config["data_dir"],
    script:
        "../scripts/privacy.py"
