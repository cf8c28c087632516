# The privacy gate: runs first, on the raw inputs, so no identifier reaches a cleaned table,
# a log that quotes values, or a rendered document. Every clean rule waits for its record.
from analysis.steps.privacy import ROW_SCHEMAS, gate_input_keys


rule privacy:
    input:
        unpack(
            lambda wildcards: {
                name: data_file(study, key)
                for name, (study, key) in gate_input_keys(config["inputs"]).items()
            }
        ),
        names=config["privacy"]["names_file"] or [],
        schemas=expand("workflow/schemas/{kind}.schema.json", kind=ROW_SCHEMAS),
    output:
        record="results/privacy/gate.json",
    log:
        "logs/privacy/gate.log",
    conda:
        "../envs/compendium.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        data_dir=config["data_dir"],
    script:
        "../scripts/privacy.py"
